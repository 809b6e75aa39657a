import { createHash } from 'node:crypto';
import type { Compilable } from 'kysely';
import { LRUCache } from 'lru-cache';
import { Counter, type Registry } from 'prom-client';
import type { Db } from '../db.ts';
import { registeredMetric } from '../metrics.ts';
import { tablesOf } from '../slow-queries/fingerprint.ts';

/** The small cache contract the query cache needs; the cache module (or Redis) can plug in here. */
export interface QueryCacheStore {
  /** May return a promise (remote stores) or the value itself (in-process stores). */
  get(key: string): unknown;
  set(key: string, value: unknown, ttlMs: number): unknown;
  delete(key: string): unknown;
}

export interface QueryCacheOptions {
  /** Default: an in-process LRU of `maxEntries`. */
  store?: QueryCacheStore;
  /** Safety net for writes the tracker cannot see (other processes, raw driver access). Default 60 000 ms. */
  ttlMs?: number;
  maxEntries?: number;
  registry?: Registry;
}

interface CachedResult {
  rows: unknown[];
  /** Write versions of the tables read, when the query started. */
  versions: Record<string, number>;
}

/**
 * Opt-in cache of read query results keyed by SQL and parameters. An entry remembers the write
 * version of every table the query reads (see WriteTracker) from before it ran; any write through
 * this Db to one of those tables makes the entry stale, so the next read goes to the database.
 * Results are shared between callers: treat them as read-only.
 */
export class QueryCache {
  readonly #db: Db;
  readonly #store: QueryCacheStore;
  readonly #ttlMs: number;
  readonly #counters: Counter | undefined;
  hits = 0;
  misses = 0;
  stale = 0;

  constructor(db: Db, options: QueryCacheOptions = {}) {
    this.#db = db;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#store = options.store ?? memoryStore(options.maxEntries ?? 10_000);
    const registry = options.registry;
    this.#counters = registry
      ? registeredMetric(
          registry,
          'ai_stack_db_query_cache_total',
          () => new Counter({ name: 'ai_stack_db_query_cache_total', help: 'Query cache lookups by result', labelNames: ['result'], registers: [registry] }),
        )
      : undefined;
  }

  /** Runs `query` (a Kysely SELECT builder) or returns its cached rows. */
  async execute<R>(query: Compilable<R> & { execute(): Promise<R[]> }, options: { ttlMs?: number } = {}): Promise<R[]> {
    const compiled = query.compile();
    const tables = tablesOf(compiled.sql);
    // Without a table to watch, a cached result could never be invalidated: do not cache it.
    if (tables.length === 0 || !/^\s*(select|with)\b/i.test(compiled.sql)) return query.execute();
    const key = `ai-stack:query:${createHash('sha1').update(compiled.sql).update('\0').update(JSON.stringify(compiled.parameters, bigintSafe)).digest('hex')}`;
    const cached = (await this.#store.get(key)) as CachedResult | undefined;
    if (cached && tables.every((table) => cached.versions[table] === this.#db.writes.version(table))) {
      this.hits++;
      this.#counters?.inc({ result: 'hit' });
      return cached.rows as R[];
    }
    if (cached) {
      this.stale++;
      await this.#store.delete(key);
    }
    this.misses++;
    this.#counters?.inc({ result: cached ? 'stale' : 'miss' });
    const versions = Object.fromEntries(tables.map((table) => [table, this.#db.writes.version(table)]));
    const rows = await query.execute();
    await this.#store.set(key, { rows, versions } satisfies CachedResult, options.ttlMs ?? this.#ttlMs);
    return rows;
  }
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function memoryStore(max: number): QueryCacheStore {
  const lru = new LRUCache<string, CachedResult>({ max, ttlAutopurge: false });
  return {
    get: (key) => lru.get(key),
    set: (key, value, ttlMs) => lru.set(key, value as CachedResult, { ttl: ttlMs }),
    delete: (key) => lru.delete(key),
  };
}
