import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config/index.ts';
import type { Db, OpenDatabaseOptions } from '../../src/db/index.ts';
import { migrateToLatest, openDatabase } from '../../src/db/index.ts';

/** Every data-layer test runs once per dialect: `describe.each(DIALECTS)('… (%s)', (dialect) => …)`. */
export const DIALECTS = ['sqlite', 'postgres'] as const;
export type TestDialect = (typeof DIALECTS)[number];

/** The shared test server; each test gets its own schema on it. */
export const TEST_POSTGRES_URL = 'postgres://root@127.0.0.1:5432/test';

export interface TestDatabase {
  db: Db;
  /** Points at the same fresh database, so a separate process (the service under test) can open it too. */
  config: DatabaseConfig;
  cleanup(): Promise<void>;
}

/**
 * A fresh, migrated database: a temp SQLite file, or a new PostgreSQL schema selected through the
 * URL's `options=-c search_path=…`. `cleanup()` closes it and removes the file or drops the schema.
 */
export async function openTestDatabase(dialect: TestDialect, opts: OpenDatabaseOptions & { migrate?: boolean } = {}): Promise<TestDatabase> {
  const { config, dispose } = dialect === 'sqlite' ? freshSqlite() : await freshPostgresSchema();
  const db = await openDatabase(config, opts);
  if (opts.migrate !== false) await migrateToLatest(db);
  return {
    db,
    config,
    async cleanup() {
      await db.close();
      await dispose();
    },
  };
}

function freshSqlite(): { config: DatabaseConfig; dispose: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-db-'));
  return {
    config: { kind: 'sqlite', file: join(dir, 'test.db') },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function freshPostgresSchema(): Promise<{ config: DatabaseConfig; dispose: () => Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create schema ${schema}`);
  const url = `${TEST_POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    config: { kind: 'postgres', url, poolSize: 4 },
    dispose: () => adminQuery(`drop schema if exists ${schema} cascade`),
  };
}

/** One statement as the shared server's superuser (create/drop schemas and databases), on `url`'s database. */
export async function adminQuery(text: string, url = TEST_POSTGRES_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Names of the indexes in the test database (its own schema on PostgreSQL), sorted. */
export async function indexNames(t: TestDatabase): Promise<string[]> {
  const query =
    t.db.dialect === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'index' order by name`
      : sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema() order by indexname`;
  return (await query.execute(t.db.kysely)).rows.map((r) => r.name);
}
