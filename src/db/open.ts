import { getLoadablePath } from 'sqlite-vec';
import { recordSpan, SpanKind, tracingEnabled } from '../telemetry/index.ts';
import { Kysely, sql } from 'kysely';
import type { LogEvent } from 'kysely';
import { statSync } from 'node:fs';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Registry } from 'prom-client';
import type { DatabaseConfig } from '../config/index.ts';
import { UnavailableError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { samplePlan } from './advisor/sample-plan.ts';
import { withCommitHook } from './commit-hook.ts';
import type { Db, NativeHandles, QueryHook, QueryTiming } from './db.ts';
import { DatabaseOpenError } from './errors.ts';
import { SchemaScopedPostgresDialect, sharedTypeParsers } from './dialects/postgres/index.ts';
import { NodeSqliteDialect, NodeSqliteHandles } from './dialects/sqlite/index.ts';
import { instrumentPgPool, PoolMonitor, PoolTimeoutError, type PoolStats } from './pool/index.ts';
import { WriteTracker } from './query-cache/write-tracker.ts';
import type { DatabaseSchema } from './schema.ts';
import { SlowQueryLog, type SlowQueryLogOptions } from './slow-queries/index.ts';

export interface PoolOptions {
  /** Extra PostgreSQL connections above `poolSize`, closed again when idle (the seed's max_overflow). Default 0. */
  maxOverflow?: number;
  /** How long a caller waits for a connection (SQLite: the writer) before PoolTimeoutError. Default 30 000 ms. */
  acquireTimeoutMs?: number;
  /** PostgreSQL: idle connections above poolSize close after this long. Default 10 000 ms. */
  idleTimeoutMs?: number;
}

export interface OpenDatabaseOptions {
  logger?: Logger;
  registry?: Registry;
  /** SQLite only: read-only WAL connections beside the writer (default 2). */
  sqliteReaders?: number;
  /** SQLite only: how long a statement waits for another process's lock before failing (default 5000 ms). */
  sqliteBusyTimeoutMs?: number;
  pool?: PoolOptions;
  /** Slow-query log settings, or false to switch statement timing off entirely. Default on, 100 ms. */
  slowQueries?: SlowQueryLogOptions | false;
  /** Called after every statement Kysely runs, with its driver-level duration. */
  onQuery?: (event: LogEvent) => void;
}

/** Opens SQLite (node:sqlite) or PostgreSQL (pg.Pool) behind one Kysely API. Does not migrate. */
export async function openDatabase(config: DatabaseConfig, opts: OpenDatabaseOptions = {}): Promise<Db> {
  const slowQueries =
    opts.slowQueries === false ? undefined : new SlowQueryLog({ logger: opts.logger, registry: opts.registry, dialect: config.kind, ...opts.slowQueries });
  // Both drivers time statements themselves, around the driver call: SQLite statements run
  // synchronously in-process (~7 µs), where Kysely's async log wrapper alone costs ~1 µs.
  const timing: QueryTiming = { onQuery: withStatementSpans(slowQueries?.record, config.kind) };
  const { native, dialect, stats } = createDriver(config, opts, timing);
  const log = opts.onQuery;
  const writes = new WriteTracker();
  const kysely = new Kysely<DatabaseSchema>({ dialect: withCommitHook(dialect, () => writes.committed()), plugins: [writes], ...(log ? { log } : {}) });
  let closed: Promise<void> | undefined;
  const db: Db = {
    kysely,
    dialect: native.dialect,
    native,
    slowQueries,
    // The SQLite driver reads its hook from its own options object, so that object is the switch.
    timing: native.dialect === 'sqlite' ? native.sqlite.options : timing,
    writes,
    pool: { stats },
    async ping() {
      try {
        await sql`select 1`.execute(kysely);
        if (native.dialect === 'sqlite') await probeSqliteTables(kysely);
      } catch (error) {
        throw new UnavailableError(`The ${native.dialect} database does not answer: ${(error as Error).message}`, {
          code: 'database_unavailable',
          cause: error,
        });
      }
    },
    close() {
      closed ??= kysely.destroy();
      return closed;
    },
  };
  slowQueries?.explainWith((text) => samplePlan(db, text));
  return db;
}

function createDriver(config: DatabaseConfig, opts: OpenDatabaseOptions, timing: QueryTiming) {
  const acquireTimeoutMs = opts.pool?.acquireTimeoutMs ?? 30_000;
  if (config.kind === 'sqlite') {
    let handles: NodeSqliteHandles | undefined = undefined;
    const gauges = () => ({
      total: 1 + (handles?.readers.length ?? 0),
      idle: (handles?.readers.length ?? 0) + (handles?.writerLock.locked ? 0 : 1),
      waiting: handles?.writerLock.waiting ?? 0,
    });
    const monitor = new PoolMonitor('sqlite-writer', opts.registry, gauges);
    handles = openSqliteHandles({
      file: config.file,
      extensions: sqliteExtensions(),
      synchronous: config.synchronous,
      readers: opts.sqliteReaders,
      busyTimeoutMs: opts.sqliteBusyTimeoutMs,
      onBusy: () => monitor.recordBusy(),
      acquireTimeoutMs,
      onQuery: timing.onQuery,
      onAcquire: (ms) => monitor.recordAcquire(ms),
      onRelease: (ms) => monitor.recordRelease(ms),
      onTimeout: (waited, waiting) => {
        monitor.recordTimeout();
        return new PoolTimeoutError(monitor.name, waited, `the single writer is busy, ${waiting} waiting`);
      },
    });
    const native: NativeHandles = { dialect: 'sqlite', sqlite: handles };
    const stats = (): PoolStats => ({
      name: monitor.name,
      dialect: 'sqlite',
      config: { size: 1, maxOverflow: 0, acquireTimeoutMs },
      ...gauges(),
      active: gauges().total - gauges().idle,
      ...monitor.snapshot(),
      walBytes: walSize(config.file),
      busyErrors: monitor.busyErrors,
    });
    return { native, dialect: new NodeSqliteDialect(handles), stats };
  }
  const maxOverflow = opts.pool?.maxOverflow ?? 0;
  const pool = new pg.Pool({
    connectionString: config.url,
    min: 0,
    max: config.poolSize + maxOverflow,
    idleTimeoutMillis: opts.pool?.idleTimeoutMs ?? 10_000,
    connectionTimeoutMillis: acquireTimeoutMs,
    types: sharedTypeParsers,
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, it would crash the process.
  pool.on('error', (error: Error & { code?: string }) => opts.logger?.warn({ code: error.code, reason: error.message }, 'idle PostgreSQL connection failed'));
  // pg-pool listens for 'error' only while a client is idle. A checked-out client (mid-request, or idle inside a
  // transaction) whose server restarts emits 'error' too (57P01, "Connection terminated unexpectedly"); without a
  // listener that kills the process. The caller still sees the failure on its next query (503), and the pool
  // drops the broken client on release, so logging is all that is left to do here.
  pool.on('connect', (client) => {
    client.on('error', (error: Error & { code?: string }) => opts.logger?.warn({ code: error.code, reason: error.message }, 'PostgreSQL connection lost'));
  });
  const gauges = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  const monitor = new PoolMonitor('postgres', opts.registry, gauges);
  const native: NativeHandles = { dialect: 'postgres', pool };
  const stats = (): PoolStats => ({
    name: monitor.name,
    dialect: 'postgres',
    config: { size: config.poolSize, maxOverflow, acquireTimeoutMs },
    ...gauges(),
    active: pool.totalCount - pool.idleCount,
    ...monitor.snapshot(),
  });
  // pg-cursor makes Kysely's `.stream()` work on PostgreSQL too (server-side cursor, batches of rows).
  return { native, dialect: new SchemaScopedPostgresDialect({ pool: instrumentPgPool(pool, monitor, timing), cursor: Cursor }), stats };
}

/**
 * A cheap integrity probe: read the first row of every table, which touches each table's root page and first
 * leaf (~2 page reads per table, microseconds), so a corrupt or unreadable table fails readiness instead of
 * only the requests that reach it. `pragma quick_check` would read the whole file: too slow for a probe.
 */
async function probeSqliteTables(kysely: Kysely<DatabaseSchema>): Promise<void> {
  // Virtual tables (sqlite-vec's vec0) are skipped: their data lives in ordinary shadow tables, which are probed.
  const tables = await sql<{
    name: string;
  }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and sql not like 'CREATE VIRTUAL TABLE%'`.execute(kysely);
  // NOT INDEXED: otherwise the planner answers from the smallest index and never reads the table's own pages.
  for (const { name } of tables.rows) await sql`select * from ${sql.table(name)} not indexed limit 1`.execute(kysely);
}

/**
 * sqlite-vec (vector KNN for the documents' nearest-chunks query) when its platform binary is installed;
 * without it the documents module searches exactly, so a missing binary is not an error.
 */
function sqliteExtensions(): string[] {
  try {
    return [getLoadablePath()];
  } catch {
    return [];
  }
}

function openSqliteHandles(options: ConstructorParameters<typeof NodeSqliteHandles>[0]): NodeSqliteHandles {
  try {
    return new NodeSqliteHandles(options);
  } catch (error) {
    throw new DatabaseOpenError(options.file, error);
  }
}

function walSize(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

/** With tracing on, every statement also becomes a client span under the active one (its text, never its values). */
function withStatementSpans(record: QueryHook | undefined, system: DatabaseConfig['kind']): QueryHook | undefined {
  if (!tracingEnabled()) return record;
  return (text, parameters, durationMs, failed, endedAt) => {
    record?.(text, parameters, durationMs, failed, endedAt);
    const end = performance.timeOrigin + endedAt;
    const operation = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
    recordSpan(`${operation} ${system}`, end - durationMs, end, {
      kind: SpanKind.CLIENT,
      failed,
      attributes: { 'db.system.name': system === 'postgres' ? 'postgresql' : 'sqlite', 'db.query.text': text.slice(0, 2_000), 'db.operation.name': operation },
    });
  };
}
