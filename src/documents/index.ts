import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/schema.ts';
import { registerResource, resourceRouteContext, type ResourceRouteOptions } from '../resources/index.ts';
import { documentResource } from './resource.ts';

export { documentResource, type DocumentItem, type DocumentCreate, type DocumentPatch } from './resource.ts';

/** Document metadata routes (upload and processing arrive with the documents issue), under /api/v1. */
export function documentRoutes(db: Kysely<DatabaseSchema>, options: ResourceRouteOptions = {}) {
  const context = resourceRouteContext(options);
  return async (app: FastifyInstance): Promise<void> => {
    registerResource(app, documentResource(db, { queryCache: options.queryCache }), context);
  };
}
