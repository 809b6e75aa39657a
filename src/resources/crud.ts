import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { AiStackError, NotFoundError } from '../shared/errors.ts';

/** What every versioned resource row exposes to the route layer. */
export interface Versioned {
  id: number;
  version: number;
}

export interface ListQuery {
  page: number;
  pageSize: number;
  sort: string;
  order: 'asc' | 'desc';
}

export interface Page<T> {
  items: T[];
  total: number;
}

/** Persistence for one resource; route code never touches SQL directly. */
export interface Repository<TCreate, TPatch, TOut extends Versioned> {
  create(input: TCreate): Promise<TOut>;
  get(id: number): Promise<TOut | undefined>;
  /** Applies the patch when the stored version matches `expectedVersion` (if given); undefined when the row is gone. */
  update(id: number, patch: TPatch, expectedVersion?: number): Promise<TOut | undefined>;
  delete(id: number, expectedVersion?: number): Promise<boolean>;
  list(query: ListQuery): Promise<Page<TOut>>;
}

export interface ResourceSpec<TCreate, TPatch, TOut extends Versioned> {
  /** Collection path, e.g. `/customers`. */
  path: string;
  /** Singular, for messages: `Customer`. */
  name: string;
  createSchema: TSchema;
  patchSchema: TSchema;
  itemSchema: TSchema;
  sortable: readonly string[];
  repository: Repository<TCreate, TPatch, TOut>;
}

export class PreconditionFailedError extends AiStackError {
  constructor(message: string) {
    super(message, { code: 'precondition_failed', status: 412 });
  }
}

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }, { additionalProperties: false });
export const PAGE_SIZE_MAX = 100;

function listQuerySchema(sortable: readonly string[]): TSchema {
  return Type.Object(
    {
      page: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 }),
      page_size: Type.Integer({ minimum: 1, maximum: PAGE_SIZE_MAX, default: 20 }),
      sort: Type.Unsafe<string>({ type: 'string', enum: [...sortable], default: 'id' }),
      order: Type.Unsafe<'asc' | 'desc'>({ type: 'string', enum: ['asc', 'desc'], default: 'asc' }),
    },
    { additionalProperties: false },
  );
}

export function etagOf(row: Versioned): string {
  return `"${row.id}.${row.version}"`;
}

/** Reads `If-Match: "<id>.<version>"` into the version the client expects to overwrite. */
function expectedVersion(request: FastifyRequest, id: number): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined || header === '*') return undefined;
  const match = /^"(\d+)\.(\d+)"$/.exec(header.trim());
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

/** Standard create/read/update/delete/list routes with validation, ETags and optimistic concurrency. */
export function registerResource<TCreate, TPatch, TOut extends Versioned>(app: FastifyInstance, spec: ResourceSpec<TCreate, TPatch, TOut>): void {
  const { path, repository: repo } = spec;
  const tags = [spec.name];
  const listSchema = Type.Object({
    data: Type.Array(spec.itemSchema),
    page: Type.Integer(),
    page_size: Type.Integer(),
    total: Type.Integer(),
  });

  app.post(path, { schema: { tags, body: spec.createSchema, response: { 201: spec.itemSchema } } }, async (request, reply) => {
    const row = await repo.create(request.body as TCreate);
    void reply.header('Location', `${request.url.split('?')[0] ?? path}/${row.id}`);
    return sendItem(reply, row, 201);
  });

  app.get(path, { schema: { tags, querystring: listQuerySchema(spec.sortable), response: { 200: listSchema } } }, async (request) => {
    const q = request.query as { page: number; page_size: number; sort: string; order: 'asc' | 'desc' };
    const page = await repo.list({ page: q.page, pageSize: q.page_size, sort: q.sort, order: q.order });
    return { data: page.items, page: q.page, page_size: q.page_size, total: page.total };
  });

  app.get(`${path}/:id`, { schema: { tags, params: IdParams, response: { 200: spec.itemSchema } } }, async (request, reply) => {
    const { id } = request.params as { id: number };
    const row = await repo.get(id);
    if (!row) throw new NotFoundError(`${spec.name} ${id}`);
    return sendItem(reply, row);
  });

  app.patch(`${path}/:id`, { schema: { tags, params: IdParams, body: spec.patchSchema, response: { 200: spec.itemSchema } } }, async (request, reply) => {
    const { id } = request.params as { id: number };
    const expected = expectedVersion(request, id);
    const row = await repo.update(id, request.body as TPatch, expected);
    if (!row) return expected === undefined ? Promise.reject(new NotFoundError(`${spec.name} ${id}`)) : conditionalFailure(spec, repo, id);
    return sendItem(reply, row);
  });

  app.delete(`${path}/:id`, { schema: { tags, params: IdParams } }, async (request, reply) => {
    const { id } = request.params as { id: number };
    const expected = expectedVersion(request, id);
    const deleted = await repo.delete(id, expected);
    if (!deleted) return expected === undefined ? Promise.reject(new NotFoundError(`${spec.name} ${id}`)) : conditionalFailure(spec, repo, id);
    return reply.code(204).send();
  });
}
