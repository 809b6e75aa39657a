import { sql, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { QueryCache } from '../db/index.ts';
import { paginateSource, type CursorCodec, type KeysetPage, type OffsetPage } from '../http/toolkit/index.ts';
import type { FilterCondition } from './filters.ts';

interface SortRequest {
  /** Column to order by (validated against the resource's sortable list by the route); `id` breaks ties. */
  column: string;
  order: 'asc' | 'desc';
  /** `?status=paid&created_after=…`: conditions on the resource's declared (indexed) filter columns. */
  where?: readonly FilterCondition[];
}

export type PageRequest =
  | (SortRequest & { mode: 'offset'; page: number; pageSize: number })
  | (SortRequest & { mode: 'keyset'; limit: number; cursor: string | undefined; cursors: CursorCodec; scope: string });

export type ListPage<T> = OffsetPage<T> | KeysetPage<T>;

export interface ListSource<DB, TB extends keyof DB, Row> {
  /** The unordered, unpaged SELECT of the collection. */
  rows: SelectQueryBuilder<DB, TB, Row>;
  /** `select count(*) as total` over the same rows. */
  count: SelectQueryBuilder<DB, TB, { total: unknown }>;
  /** Caches the count: it is the costly part of an offset page on a big table, and the same for every page. */
  queryCache: QueryCache | undefined;
}

/** One page of a collection in either mode, rows mapped to the API shape. */
export async function listPage<DB, TB extends keyof DB, Row, T>(
  unfiltered: ListSource<DB, TB, Row>,
  request: PageRequest,
  map: (row: Row) => T,
): Promise<ListPage<T>> {
  // Filters narrow both the rows and the count; the cursor and the cached count follow the SQL, so
  // keyset pages and the query cache stay correct per filter combination.
  const source = { ...unfiltered, rows: filtered(unfiltered.rows, request.where), count: filtered(unfiltered.count, request.where) };
  if (request.mode === 'keyset') {
    const page = await paginateSource(source.rows, {
      mode: 'keyset',
      limit: request.limit,
      cursor: request.cursor,
      cursors: request.cursors,
      sort: { column: request.column, direction: request.order, idColumn: 'id', scope: request.scope },
    });
    return { ...page, data: page.data.map(map) };
  }
  const ordered = source.rows.orderBy(sql.ref(request.column), request.order).orderBy(sql.ref('id'), request.order);
  // withTotal: false — the count comes from countRows (query-cached) instead of paginateSource's own count.
  const [page, total] = await Promise.all([
    paginateSource(ordered, { mode: 'offset', page: request.page, pageSize: request.pageSize, withTotal: false }),
    countRows(source),
  ]);
  const totalPages = Math.max(1, Math.ceil(total / request.pageSize));
  return { ...page, data: page.data.map(map), total, total_pages: totalPages, has_next: request.page < totalPages };
}

function filtered<DB, TB extends keyof DB, Row>(
  query: SelectQueryBuilder<DB, TB, Row>,
  where: readonly FilterCondition[] | undefined,
): SelectQueryBuilder<DB, TB, Row> {
  let out = query;
  // Column and operator come from the resource's filter declaration, never from the request; the value is a parameter.
  for (const c of where ?? []) out = out.where(sql<SqlBool>`${sql.ref(c.column)} ${sql.raw(c.op)} ${c.value}`);
  return out;
}

async function countRows<DB, TB extends keyof DB, Row>(source: ListSource<DB, TB, Row>): Promise<number> {
  const rows = source.queryCache === undefined ? await source.count.execute() : await source.queryCache.execute(source.count, { ttlMs: COUNT_TTL_MS });
  // Drivers return count(*) as number, bigint or string (pg).
  return Number(rows[0]?.total ?? 0);
}

// Writes through this process invalidate at once; the TTL bounds how long another node's writes go unseen.
const COUNT_TTL_MS = 10_000;
