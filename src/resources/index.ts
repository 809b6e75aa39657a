/**
 * Generic REST resources over Kysely: CRUD + list + bulk routes from a `ResourceSpec`, a versioned
 * table repository, paged lists, and the TypeBox helpers resource schemas are written with.
 * Feature modules (erp, documents) import only this file.
 */
export { registerResource, etagOf, PreconditionFailedError } from './crud.ts';
export type { Repository, ResourceSpec, Versioned } from './crud.ts';
export { tableRepository } from './table-repository.ts';
export type { RepositoryOptions, TableMapping, VersionedTable } from './table-repository.ts';
export { listPage } from './list-page.ts';
export type { ListPage, ListSource, PageRequest } from './list-page.ts';
export { resourceRouteContext, resourceTag } from './route-options.ts';
export type { ResourceRouteContext, ResourceRouteOptions } from './route-options.ts';
export { patchOf, stringEnum, versionedItem } from './schema.ts';
export { createdBetween } from './filters.ts';
export type { FilterCondition, ListFilter, ListFilters } from './filters.ts';
