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
import type { DatabaseSchema } from './schema.ts';

export interface OpenDatabaseOptions {
  logger?: Logger;
  registry?: Registry;
  /** SQLite only: read-only WAL connections beside the writer (default 2). */
  sqliteReaders?: number;
  /** Called after every statement Kysely runs, with its driver-level duration (slow-query log hook). */
  onQuery?: (event: LogEvent) => void;
}

/** Opens SQLite (node:sqlite) or PostgreSQL (pg.Pool) behind one Kysely API. Does not migrate. */
export async function openDatabase(config: DatabaseConfig, opts: OpenDatabaseOptions = {}): Promise<Db> {
  const native = createNative(config, opts);
  const dialect = native.dialect === 'sqlite' ? new NodeSqliteDialect(native.sqlite) : new PostgresDialect({ pool: native.pool });
  const onQuery = opts.onQuery;
  const kysely = new Kysely<DatabaseSchema>({ dialect, ...(onQuery ? { log: onQuery } : {}) });
  let closed: Promise<void> | undefined;
  return {
    kysely,
    dialect: native.dialect,
    native,
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
