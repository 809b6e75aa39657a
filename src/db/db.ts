import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { NodeSqliteHandles } from './dialects/sqlite/index.ts';
import type { PoolStats } from './pool/index.ts';
import type { WriteTracker } from './query-cache/write-tracker.ts';
import type { SlowQueryLog } from './slow-queries/index.ts';
import type { DatabaseSchema } from './schema.ts';

export type DialectName = 'sqlite' | 'postgres';

/** Called after every statement the driver runs, with its duration and the performance.now() reading that ended it. */
export type QueryHook = (sql: string, parameters: readonly unknown[], durationMs: number, failed: boolean, endedAt: number) => void;

/**
 * Where the drivers look for their statement hook, once per statement. Undefined means statements
 * are not timed at all (no clock reads): `slowQueries: false`. Tools may swap it at run time.
 */
export interface QueryTiming {
  onQuery?: QueryHook | undefined;
}

/** The driver objects under Kysely, for bulk paths (COPY, multi-row prepared inserts) and stats. */
export type NativeHandles = { dialect: 'sqlite'; sqlite: NodeSqliteHandles } | { dialect: 'postgres'; pool: pg.Pool };

/** An open database: one Kysely instance and the dialect it speaks. */
export interface Db {
  kysely: Kysely<DatabaseSchema>;
  dialect: DialectName;
  /** Resolves when the database answers a trivial query; rejects with UnavailableError otherwise. */
  ping(): Promise<void>;
  /** Closes every connection; idempotent. */
  close(): Promise<void>;
  native: NativeHandles;
  /** Statement statistics per fingerprint; undefined when opened with `slowQueries: false`. */
  slowQueries: SlowQueryLog | undefined;
  /** The drivers' statement hook (the slow-query log's recorder by default). */
  timing: QueryTiming;
  /** Per-table write versions of everything written through `kysely` (the query cache's invalidation source). */
  writes: WriteTracker;
  /** Connection pool (SQLite: the writer lock) statistics. */
  pool: { stats(): PoolStats };
}
