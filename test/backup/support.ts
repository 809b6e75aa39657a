import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from '../../src/db/index.ts';
import type { BlobStore } from '../../src/blobs/index.ts';
import type { BackupSettings } from '../../src/backup/index.ts';
import type { DatabaseConfig } from '../../src/config/index.ts';
import { adminQuery, type TestDialect } from '../support/db.ts';

export function settingsFor(database: DatabaseConfig, dataDir: string, backupDir: string): BackupSettings {
  return {
    dataDir,
    database,
    redis: null,
    documents: { blobUrl: undefined },
    backup: { dir: backupDir, cron: null, keepDaily: 7, keepWeekly: 4, keepMonthly: 12 },
  };
}

export function tempDir(name: string): string {
  return mkdtempSync(join(tmpdir(), `ai-stack-${name}-`));
}

/**
 * An empty restore target of the same dialect: a fresh SQLite path, or a fresh PostgreSQL database whose
 * search_path names the source's schema (a dump restores under the schema it was taken from).
 */
export async function emptyTarget(
  dialect: TestDialect,
  schema: string | undefined,
): Promise<{ config: DatabaseConfig; dataDir: string; drop(): Promise<void> }> {
  const dataDir = tempDir('restore');
  if (dialect === 'sqlite') return { config: { kind: 'sqlite', file: join(dataDir, 'ai-stack.db') }, dataDir, drop: async () => {} };
  const database = `r_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${database}`);
  // An empty schema of the source's name: where a dump restores (pg_restore keeps schema names).
  if (schema) await adminQuery(`create schema ${schema}`, `postgres://root@127.0.0.1:5432/${database}`);
  const url = `postgres://root@127.0.0.1:5432/${database}?options=${encodeURIComponent(`-c search_path=${schema ?? 'public'}`)}`;
  return { config: { kind: 'postgres', url, poolSize: 2 }, dataDir, drop: () => adminQuery(`drop database if exists ${database} with (force)`) };
}

/** Table name → row count and an order-independent sha256 over every row's values, computed independently of src/backup. */
export async function tableDigests(db: Kysely<DatabaseSchema>, dialect: TestDialect): Promise<Record<string, { rows: number; sha256: string }>> {
  const names =
    dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(db)
      : await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema() order by tablename`.execute(db);
  const out: Record<string, { rows: number; sha256: string }> = {};
  for (const { name } of names.rows) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db);
    const hashes = rows.map((row) => createHash('sha256').update(canonical(row)).digest('hex')).sort();
    out[name] = { rows: rows.length, sha256: createHash('sha256').update(hashes.join('\n')).digest('hex') };
  }
  return out;
}

function canonical(row: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(row)
      .sort()
      .map((key) => {
        const value = row[key];
        if (typeof value === 'bigint') return [key, `n${value}`];
        if (value instanceof Uint8Array) return [key, `b${Buffer.from(value).toString('hex')}`];
        if (value instanceof Date) return [key, `d${value.toISOString()}`];
        return [key, value];
      }),
  );
}

/** Every object of a store with the sha256 of its bytes. */
export async function blobDigests(store: BlobStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const info of store.list()) {
    const hash = createHash('sha256');
    for await (const chunk of await store.get(info.key)) hash.update(chunk as Buffer);
    out[info.key] = hash.digest('hex');
  }
  return out;
}
