import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { AiStackError, NotFoundError } from '../shared/errors.ts';
import { registerBulkRoutes } from './bulk-routes.ts';
import type { ListPage, PageRequest } from './list-page.ts';
import { registerListRoute } from './list-route.ts';
import { notModifiedFastPath } from './not-modified.ts';
import { ITEM_CACHE_CONTROL, resourceRouteContext, resourceTag, type ResourceRouteContext } from './route-options.ts';
import type { ListFilters } from './filters.ts';

/** What every versioned resource row exposes to the route layer. */
export interface Versioned {
  id: number;
  version: number;
}

/** Persistence for one resource; route code never touches SQL directly. */
export interface Repository<TCreate, TPatch, TOut extends Versioned> {
  create(input: TCreate): Promise<TOut>;
  get(id: number): Promise<TOut | undefined>;
  /** The row's current version without loading the row (the 304 fast path); undefined when it is gone. */
  version(id: number): Promise<number | undefined>;
  /** Applies the patch when the stored version matches `expectedVersion` (if given); undefined when the row is gone. */
  update(id: number, patch: TPatch, expectedVersion?: number): Promise<TOut | undefined>;
  delete(id: number, expectedVersion?: number): Promise<boolean>;
  list(request: PageRequest): Promise<ListPage<TOut>>;
  /** Runs `work` with a repository bound to one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (repository: Repository<TCreate, TPatch, TOut>) => Promise<T>): Promise<T>;
}

export interface ResourceSpec<TCreate, TPatch, TOut extends Versioned> {
  /** Collection path, e.g. `/customers`. */
  path: string;
  /** Singular, for messages: `Customer`. */
  name: string;
  createSchema: TSchema;
  patchSchema: TSchema;
  itemSchema: TSchema;
  /** API sort key → column; every column must be NOT NULL (keyset cursors carry its value). */
  sortColumns: Readonly<Record<string, string>>;
  /** `GET /<resource>?name=value` filters, each on an indexed column (validated and documented per filter). */
  filters?: ListFilters;
  repository: Repository<TCreate, TPatch, TOut>;
  /**
   * Response-cache tags a write to this resource purges besides its own: those of resources whose
   * representations embed its data (see `resourceTag`).
   */
  invalidates?: readonly string[];
  /** Leave out the standard routes a module registers itself (documents: multipart create, soft delete). */
  omit?: readonly ('create' | 'delete')[];
}

export class PreconditionFailedError extends AiStackError {
  constructor(message: string) {
    super(message, { code: 'precondition_failed', status: 412 });
  }
}

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }, { additionalProperties: false });

export function etagOf(row: Versioned): string {
  return `"${row.id}.${row.version}"`;
}

/**
 * Reads `If-Match: "<id>.<version>"` into the version the client expects to overwrite. A compressed
 * GET carries the toolkit's coding suffix (`"12.3-gzip"`): same version, so it is accepted too.
 */
function expectedVersion(request: FastifyRequest, id: number): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header === '*') return undefined;
  const match = /^"(\d+)\.(\d+)(?:-(?:br|gzip|zstd))?"$/.exec(header.trim());
  if (!match || Number(match[1]) !== id) throw new PreconditionFailedError(`If-Match ${header} does not name a version of this resource`);
  return Number(match[2]);
}

async function conditionalFailure(spec: { name: string }, repo: { get(id: number): Promise<Versioned | undefined> }, id: number): Promise<never> {
  const current = await repo.get(id);
  if (!current) throw new NotFoundError(`${spec.name} ${id}`);
  throw new PreconditionFailedError(`${spec.name} ${id} has changed (now version ${current.version}); fetch it again before writing`);
}

function sendItem(reply: FastifyReply, row: Versioned, status = 200): FastifyReply {
  return reply.code(status).header('ETag', etagOf(row)).send(row);
}

/**
 * Standard create/read/update/delete/list routes plus `$bulk`, with validation, ETags and optimistic
 * concurrency, and the API toolkit's per-route features: 304 fast path, Cache-Control, shared response
 * cache for lists, tag invalidation on every write.
 */
export function registerResource<TCreate, TPatch, TOut extends Versioned>(
  app: FastifyInstance,
  spec: ResourceSpec<TCreate, TPatch, TOut>,
  context: ResourceRouteContext = resourceRouteContext(),
): void {
  const { path, repository: repo } = spec;
  const tags = [spec.name];
  const ownTag = resourceTag(path);
  const purged = [...new Set([ownTag, ...(spec.invalidates ?? [])])];
  const invalidates = () => purged;

  if (!spec.omit?.includes('create'))
    app.post(path, { schema: { tags, body: spec.createSchema, response: { 201: spec.itemSchema } }, config: { invalidates } }, async (request, reply) => {
      const row = await repo.create(request.body as TCreate);
      void reply.header('Location', `${request.url.split('?')[0] ?? path}/${row.id}`);
      return sendItem(reply, row, 201);
    });

  registerListRoute(app, spec, context, ownTag);
  registerBulkRoutes(app, spec, context, invalidates);

  app.get(
    `${path}/:id`,
    {
      schema: { tags, params: IdParams, response: { 200: spec.itemSchema } },
      // Declared on the route, so it runs before the toolkit's own preHandlers (which are appended).
      preHandler: notModifiedFastPath(repo, ITEM_CACHE_CONTROL),
      config: { cacheControl: ITEM_CACHE_CONTROL },
    },
    async (request, reply) => {
      const { id } = request.params as { id: number };
      const row = await repo.get(id);
      if (!row) throw new NotFoundError(`${spec.name} ${id}`);
      return sendItem(reply, row);
    },
  );

  app.patch(
    `${path}/:id`,
    { schema: { tags, params: IdParams, body: spec.patchSchema, response: { 200: spec.itemSchema } }, config: { invalidates } },
    async (request, reply) => {
      const { id } = request.params as { id: number };
      const expected = expectedVersion(request, id);
      const row = await repo.update(id, request.body as TPatch, expected);
      if (!row) return expected === undefined ? Promise.reject(new NotFoundError(`${spec.name} ${id}`)) : conditionalFailure(spec, repo, id);
      return sendItem(reply, row);
    },
  );

  if (!spec.omit?.includes('delete'))
    app.delete(`${path}/:id`, { schema: { tags, params: IdParams }, config: { invalidates } }, async (request, reply) => {
      const { id } = request.params as { id: number };
      const expected = expectedVersion(request, id);
      const deleted = await repo.delete(id, expected);
      if (!deleted) return expected === undefined ? Promise.reject(new NotFoundError(`${spec.name} ${id}`)) : conditionalFailure(spec, repo, id);
      return reply.code(204).send();
    });
}
