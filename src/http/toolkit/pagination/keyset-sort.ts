import { AiStackError } from '../../../shared/errors.ts';
import type { CursorValue } from './cursor.ts';

/**
 * A stable keyset order: the sort column, then the unique id as tie-breaker so rows with equal sort
 * values never straddle pages twice or get skipped. The sort column must be NOT NULL.
 */
export interface KeysetSort {
  /** Column reference for SQL (may be qualified: `orders.created_at`). Default `id`. */
  column?: string;
  /** Property holding that column's value in result rows. Default: the part after the last dot. */
  key?: string;
  direction?: 'asc' | 'desc';
  /** Unique tie-breaker column. Default `id`. */
  idColumn?: string;
  idKey?: string;
  /**
   * What else a cursor is bound to, e.g. the list's path: without it a cursor from `/orders` would be
   * accepted by `/customers` sorted the same way, and resume at a meaningless position.
   */
  scope?: string;
}

export interface ResolvedSort {
  column: string;
  key: string;
  direction: 'asc' | 'desc';
  idColumn: string;
  idKey: string;
  /** What a cursor is bound to. */
  signature: string;
}

export function resolveSort(sort: KeysetSort = {}): ResolvedSort {
  const column = sort.column ?? 'id';
  const idColumn = sort.idColumn ?? 'id';
  const direction = sort.direction ?? 'asc';
  return {
    column,
    key: sort.key ?? column.slice(column.lastIndexOf('.') + 1),
    direction,
    idColumn,
    idKey: sort.idKey ?? idColumn.slice(idColumn.lastIndexOf('.') + 1),
    signature: `${sort.scope === undefined ? '' : `${sort.scope}|`}${column}:${idColumn}:${direction}`,
  };
}

export function positionOf(row: unknown, sort: ResolvedSort): [CursorValue, CursorValue] {
  const record = row as Record<string, unknown>;
  return [cursorValue(record[sort.key], sort.key), cursorValue(record[sort.idKey], sort.idKey)];
}

function cursorValue(value: unknown, key: string): CursorValue {
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  // The route's query does not select the sort column (or it is nullable): a server bug, not the client's.
  throw new AiStackError(`Keyset pagination needs a non-null "${key}" on every row; select it and make it NOT NULL`, {
    code: 'keyset_sort_missing',
    status: 500,
  });
}

/** Compares two (sort, id) positions in the configured direction: < 0 means `a` comes first. */
export function comparePositions(a: readonly CursorValue[], b: readonly CursorValue[], direction: 'asc' | 'desc'): number {
  for (let i = 0; i < 2; i++) {
    const x = a[i] as CursorValue;
    const y = b[i] as CursorValue;
    if (x !== y) {
      const order = x < y ? -1 : 1;
      return direction === 'asc' ? order : -order;
    }
  }
  return 0;
}
