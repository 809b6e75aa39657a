import { sql, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { CursorCodec } from './cursor.ts';
import { comparePositions, positionOf, resolveSort, type KeysetSort, type ResolvedSort } from './keyset-sort.ts';
import { offsetPage, type KeysetPage, type OffsetPage } from './pages.ts';

export interface OffsetRequest {
  mode: 'offset';
  page: number;
  pageSize: number;
  /** Skip `count(*)` (total becomes null, has_next comes from fetching one extra row). Default true. */
  withTotal?: boolean;
}

export interface KeysetRequest {
  mode: 'keyset';
  limit: number;
  cursor?: string | undefined;
  sort?: KeysetSort;
  cursors: CursorCodec;
}

/** Anything the helper can page through: an in-memory array or a Kysely SELECT. */
export type PageSource<DB, TB extends keyof DB, O> = readonly O[] | SelectQueryBuilder<DB, TB, O>;

export async function paginateSource<DB, TB extends keyof DB, O>(source: PageSource<DB, TB, O>, request: OffsetRequest): Promise<OffsetPage<O>>;
export async function paginateSource<DB, TB extends keyof DB, O>(source: PageSource<DB, TB, O>, request: KeysetRequest): Promise<KeysetPage<O>>;
export async function paginateSource<DB, TB extends keyof DB, O>(
  source: PageSource<DB, TB, O>,
  request: OffsetRequest | KeysetRequest,
): Promise<OffsetPage<O> | KeysetPage<O>> {
  if (request.mode === 'offset') return isArray(source) ? offsetFromArray(source, request) : offsetFromQuery(source, request);
  return isArray(source) ? keysetFromArray(source, request) : keysetFromQuery(source, request);
}

function isArray<O>(source: PageSource<never, never, O> | readonly O[] | SelectQueryBuilder<never, never, O>): source is readonly O[] {
  return Array.isArray(source);
}

function offsetFromArray<O>(items: readonly O[], request: OffsetRequest): OffsetPage<O> {
  const start = (request.page - 1) * request.pageSize;
  return offsetPage(items.slice(start, start + request.pageSize), request.page, request.pageSize, items.length, false);
}

async function offsetFromQuery<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, request: OffsetRequest): Promise<OffsetPage<O>> {
  const withTotal = request.withTotal ?? true;
  const rows = await query
    .limit(request.pageSize + (withTotal ? 0 : 1))
    .offset((request.page - 1) * request.pageSize)
    .execute();
  let total: number | null = null;
  if (withTotal) {
    // Counting the same FROM/WHERE; drivers return count(*) as number, bigint or string (pg), hence Number().
    const counted = await query
      .clearSelect()
      .clearOrderBy()
      .clearLimit()
      .clearOffset()
      .select(sql<number>`count(*)`.as('total'))
      .executeTakeFirst();
    total = Number((counted as { total?: unknown } | undefined)?.total ?? 0);
  }
  const data = rows.slice(0, request.pageSize);
  return offsetPage(data, request.page, request.pageSize, total, rows.length > request.pageSize);
}

function keysetFromArray<O>(items: readonly O[], request: KeysetRequest): KeysetPage<O> {
  const sort = resolveSort(request.sort);
  const after = request.cursor === undefined ? null : request.cursors.decode(request.cursor, sort.signature).values;
  const ordered = [...items].sort((a, b) => comparePositions(positionOf(a, sort), positionOf(b, sort), sort.direction));
  const remaining = after === null ? ordered : ordered.filter((row) => comparePositions(positionOf(row, sort), after, sort.direction) > 0);
  return keysetPage(remaining.slice(0, request.limit + 1), request, sort);
}

async function keysetFromQuery<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, request: KeysetRequest): Promise<KeysetPage<O>> {
  const sort = resolveSort(request.sort);
  let paged = query;
  if (request.cursor !== undefined) {
    const [value, id] = request.cursors.decode(request.cursor, sort.signature).values;
    const op = sql.raw(sort.direction === 'asc' ? '>' : '<');
    // Row-value comparison: one index range scan on (sort, id) in both SQLite and PostgreSQL.
    paged =
      sort.column === sort.idColumn
        ? paged.where(sql<SqlBool>`${sql.ref(sort.idColumn)} ${op} ${id}`)
        : paged.where(sql<SqlBool>`(${sql.ref(sort.column)}, ${sql.ref(sort.idColumn)}) ${op} (${value}, ${id})`);
  }
  paged = paged.clearOrderBy().orderBy(sql.ref(sort.column), sort.direction);
  if (sort.column !== sort.idColumn) paged = paged.orderBy(sql.ref(sort.idColumn), sort.direction);
  const rows = await paged
    .clearLimit()
    .limit(request.limit + 1)
    .execute();
  return keysetPage(rows, request, sort);
}

function keysetPage<O>(rows: readonly O[], request: KeysetRequest, sort: ResolvedSort): KeysetPage<O> {
  const data = rows.slice(0, request.limit);
  const hasMore = rows.length > request.limit;
  const last = data[data.length - 1];
  return {
    data,
    limit: request.limit,
    has_more: hasMore,
    next_cursor: hasMore && last !== undefined ? request.cursors.encode({ sort: sort.signature, values: positionOf(last, sort) }) : null,
  };
}
