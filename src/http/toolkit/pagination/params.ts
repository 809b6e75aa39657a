import { ValidationError } from '../../../shared/errors.ts';

export interface PageLimits {
  /** Default 20. */
  defaultSize?: number;
  /** Largest page a client may ask for. Default 100. */
  maxSize?: number;
}

export interface OffsetParams {
  page: number;
  pageSize: number;
}

export interface KeysetParams {
  limit: number;
  cursor: string | undefined;
}

type Query = Record<string, unknown> | undefined;

/** `page` (≥ 1) and `page_size` (1–max) from a query string; anything else is a 400 that says what is allowed. */
export function parseOffsetParams(query: Query, limits: PageLimits = {}): OffsetParams {
  const maxSize = limits.maxSize ?? 100;
  return {
    page: integerParam(query, 'page', 1, 1, 1_000_000),
    pageSize: integerParam(query, 'page_size', limits.defaultSize ?? 20, 1, maxSize),
  };
}

/** `limit` (1–max) and an optional opaque `cursor`. */
export function parseKeysetParams(query: Query, limits: PageLimits = {}): KeysetParams {
  const cursor = query?.['cursor'];
  if (cursor !== undefined && (typeof cursor !== 'string' || cursor === '')) {
    throw new ValidationError('cursor must be the next_cursor value of a previous page', [{ field: 'cursor', message: 'must be a non-empty string' }]);
  }
  return { limit: integerParam(query, 'limit', limits.defaultSize ?? 20, 1, limits.maxSize ?? 100), cursor };
}

export function assertPageSize(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ValidationError(`${field} must be an integer from 1 to ${max}, got ${String(value)}`, [
      { field, message: `must be an integer from 1 to ${max}` },
    ]);
  }
}

function integerParam(query: Query, field: string, fallback: number, min: number, max: number): number {
  const raw = query?.[field];
  if (raw === undefined || raw === '') return fallback;
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ValidationError(`${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw).slice(0, 40)}`, [
      { field, message: `must be an integer from ${min} to ${max}` },
    ]);
  }
  return Number(text);
}
