import { Kysely, PostgresDialect, sql } from 'kysely';
import type { LogEvent } from 'kysely';
import pg from 'pg';
import type { Registry } from 'prom-client';
import type { DatabaseConfig } from '../config/index.ts';
import { UnavailableError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Db, NativeHandles } from './db.ts';
import { sharedTypeParsers } from './dialects/postgres/index.ts';
import { NodeSqliteDialect, NodeSqliteHandles } from './dialects/sqlite/index.ts';
import { WriteTracker } from './query-cache/write-tracker.ts';
import type { DatabaseSchema } from './schema.ts';
import { SlowQueryLog, type SlowQueryLogOptions } from './slow-queries/index.ts';

export interface OpenDatabaseOptions {
  logger?: Logger;
  registry?: Registry;
  /** SQLite only: read-only WAL connections beside the writer (default 2). */
  sqliteReaders?: number;
  /** Slow-query log settings, or false to switch statement timing off entirely. Default on, 100 ms. */
  slowQueries?: SlowQueryLogOptions | false;
  /** Called after every statement Kysely runs, with its driver-level duration. */
  onQuery?: (event: LogEvent) => void;
}

/** Opens SQLite (node:sqlite) or PostgreSQL (pg.Pool) behind one Kysely API. Does not migrate. */
export async function openDatabase(config: DatabaseConfig, opts: OpenDatabaseOptions = {}): Promise<Db> {
  const native = createNative(config, opts);
  const dialect = native.dialect === 'sqlite' ? new NodeSqliteDialect(native.sqlite) : new PostgresDialect({ pool: native.pool });
  const slowQueries = opts.slowQueries === false
    ? undefined
    : new SlowQueryLog({ logger: opts.logger, registry: opts.registry, dialect: native.dialect, ...opts.slowQueries });
  const hooks = [slowQueries?.onQuery, opts.onQuery].filter((hook) => hook !== undefined);
  const log = hooks.length === 0 ? undefined : hooks.length === 1 ? hooks[0] : (event: LogEvent) => hooks.forEach((hook) => hook(event));
  const writes = new WriteTracker();
  const kysely = new Kysely<DatabaseSchema>({ dialect, plugins: [writes], ...(log ? { log } : {}) });
  let closed: Promise<void> | undefined;
  return {
    kysely,
    dialect: native.dialect,
    native,
    slowQueries,
    writes,
    async ping() {
      try {
        await sql`select 1`.execute(kysely);
      } catch (error) {
        throw new UnavailableError(`The ${native.dialect} database does not answer: ${(error as Error).message}`, { code: 'database_unavailable', cause: error });
      }
    },
    close() {
      closed ??= kysely.destroy();
      return closed;
    },
  };
}

function createNative(config: DatabaseConfig, opts: OpenDatabaseOptions): NativeHandles {
  if (config.kind === 'sqlite') {
    return { dialect: 'sqlite', sqlite: new NodeSqliteHandles({ file: config.file, readers: opts.sqliteReaders }) };
  }
  const pool = new pg.Pool({ connectionString: config.url, max: config.poolSize, types: sharedTypeParsers });
  // An idle client whose server went away emits 'error' on the pool; unhandled, it would crash the process.
  pool.on('error', (error) => opts.logger?.warn({ err: error }, 'idle PostgreSQL connection failed'));
  return { dialect: 'postgres', pool };
}
