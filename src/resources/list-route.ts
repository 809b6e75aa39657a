import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { setPageLinks } from '../http/toolkit/index.ts';
import { ValidationError } from '../shared/errors.ts';
import type { ResourceSpec, Versioned } from './crud.ts';
import { filterConditions, type ListFilters } from './filters.ts';
import type { PageRequest } from './list-page.ts';
import { LIST_CACHE_CONTROL, type ResourceRouteContext } from './route-options.ts';

export const PAGE_SIZE_MAX = 100;
const DEFAULT_PAGE_SIZE = 20;

interface ListParams {
  page?: number;
  page_size?: number;
  mode?: 'offset' | 'keyset';
  cursor?: string;
  limit?: number;
  sort: string;
  order: 'asc' | 'desc';
}

function listQuerySchema(sortable: readonly string[], filters: ListFilters = {}): TSchema {
  return Type.Object(
    {
      ...Object.fromEntries(Object.entries(filters).map(([name, f]) => [name, Type.Optional(f.schema)])),
      // No defaults for the mode-specific parameters: the route must see which ones the client sent.
      page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Offset mode: page number (default 1)' })),
      page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_SIZE_MAX, description: `Offset mode: rows per page (default ${DEFAULT_PAGE_SIZE})` })),
      mode: Type.Optional(
        Type.Unsafe<'offset' | 'keyset'>({ type: 'string', enum: ['offset', 'keyset'], description: 'keyset: cursor pagination (implied by cursor or limit)' }),
      ),
      cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Keyset mode: next_cursor of the previous page' })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGE_SIZE_MAX, description: `Keyset mode: rows per page (default ${DEFAULT_PAGE_SIZE})` })),
      sort: Type.Unsafe<string>({ type: 'string', enum: [...sortable], default: 'id' }),
      order: Type.Unsafe<'asc' | 'desc'>({ type: 'string', enum: ['asc', 'desc'], default: 'asc' }),
    },
    { additionalProperties: false },
  );
}

function listResponseSchema(itemSchema: TSchema): TSchema {
  // One object with optional members instead of a union: fast-json-stringify serializes it without
  // trying each branch. Offset pages carry page/page_size/total, keyset pages limit/has_more/next_cursor.
  return Type.Object({
    data: Type.Array(itemSchema),
    page: Type.Optional(Type.Integer()),
    page_size: Type.Optional(Type.Integer()),
    total: Type.Optional(Type.Integer()),
    limit: Type.Optional(Type.Integer()),
    has_more: Type.Optional(Type.Boolean()),
    next_cursor: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  });
}

function pageRequest(q: ListParams, column: string, context: ResourceRouteContext, path: string, filters?: ListFilters): PageRequest {
  const where = filterConditions(filters, q as unknown as Record<string, unknown>);
  const keyset = q.mode === 'keyset' || q.cursor !== undefined || q.limit !== undefined;
  if (keyset) {
    if (q.mode === 'offset' || q.page !== undefined || q.page_size !== undefined) {
      throw new ValidationError('page/page_size (offset mode) cannot be combined with cursor/limit (keyset mode)', [
        { field: 'querystring', message: 'mixes offset and keyset parameters' },
      ]);
    }
    return { mode: 'keyset', column, order: q.order, where, limit: q.limit ?? DEFAULT_PAGE_SIZE, cursor: q.cursor, cursors: context.cursors, scope: path };
  }
  return { mode: 'offset', column, order: q.order, where, page: q.page ?? 1, pageSize: q.page_size ?? DEFAULT_PAGE_SIZE };
}

/** `GET /<resource>`: offset pages with a total and RFC 8288 links, or keyset pages with signed cursors. */
export function registerListRoute<TCreate, TPatch, TOut extends Versioned>(
  app: FastifyInstance,
  spec: ResourceSpec<TCreate, TPatch, TOut>,
  context: ResourceRouteContext,
  tag: string,
): void {
  const responseCache = context.responseCache === false ? undefined : { ttlMs: context.responseCache.ttlMs, tags: () => [tag] };
  app.get(
    spec.path,
    {
      schema: {
        tags: [spec.name],
        querystring: listQuerySchema(Object.keys(spec.sortColumns), spec.filters),
        response: { 200: listResponseSchema(spec.itemSchema) },
      },
      config: { cacheControl: LIST_CACHE_CONTROL, ...(responseCache === undefined ? {} : { responseCache }) },
    },
    async (request, reply) => {
      const q = request.query as ListParams;
      const page = await spec.repository.list(pageRequest(q, spec.sortColumns[q.sort] ?? 'id', context, spec.path, spec.filters));
      setPageLinks(request, reply, page);
      if ('has_more' in page) return { data: page.data, limit: page.limit, has_more: page.has_more, next_cursor: page.next_cursor };
      return { data: page.data, page: page.page, page_size: page.page_size, total: page.total ?? 0 };
    },
  );
}
