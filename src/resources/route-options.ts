import { randomBytes } from 'node:crypto';
import type { QueryCache } from '../db/index.ts';
import { createCursorCodec, type CacheControl, type CursorCodec } from '../http/toolkit/index.ts';

/** What the composition root tunes for every resource's routes (`erpRoutes(db, options)`, `documentRoutes(db, options)`). */
export interface ResourceRouteOptions {
  /**
   * Signs keyset cursors (≥ 16 bytes). Every node behind one load balancer must share it, or a cursor
   * issued by one node is a 400 on the next. Default: a random secret per process.
   */
  cursorSecret?: string | Buffer | undefined;
  /** Caches list totals (`count(*)`), invalidated by writes through the data layer. Default: no cache. */
  queryCache?: QueryCache | undefined;
  /** Shared response cache for list routes; `false` turns it off (benchmarks, debugging). Default 30 s TTL. */
  responseCache?: { ttlMs: number } | false | undefined;
  /** Most items one bulk request may carry. Default 1000. */
  maxBulkItems?: number | undefined;
}

/** The options every route of one resource reads, with defaults applied once. */
export interface ResourceRouteContext {
  cursors: CursorCodec;
  queryCache: QueryCache | undefined;
  responseCache: { ttlMs: number } | false;
  maxBulkItems: number;
}

// Lists are revalidated on every use: a client must see its own write at once, and revalidation is cheap
// (the shared response cache answers it; a 304 carries no body).
export const LIST_CACHE_CONTROL: CacheControl = { scope: 'private', noCache: true };
// Items too: the 304 fast path costs one primary-key lookup of the version column.
export const ITEM_CACHE_CONTROL: CacheControl = { scope: 'private', noCache: true };

const DEFAULT_LIST_TTL_MS = 30_000;
let processSecret: Buffer | undefined;

export function resourceRouteContext(options: ResourceRouteOptions = {}): ResourceRouteContext {
  processSecret ??= randomBytes(32);
  return {
    cursors: createCursorCodec(options.cursorSecret ?? processSecret),
    queryCache: options.queryCache,
    responseCache: options.responseCache ?? { ttlMs: DEFAULT_LIST_TTL_MS },
    maxBulkItems: options.maxBulkItems ?? 1000,
  };
}

/** The response-cache tag of a collection (namespaced: the cache module's tags are shared with other users). */
export function resourceTag(path: string): string {
  return `api:${path.replace(/^\//, '')}`;
}
