import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseConfig, SqliteSynchronous } from '../../src/config/index.ts';

/** Where benchmarks keep their databases: a file under data/bench, a dedicated PostgreSQL schema. */
export const BENCH_POSTGRES = process.env.BENCH_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';

export function sqliteTarget(name: string, synchronous?: SqliteSynchronous): DatabaseConfig {
  const dir = join(import.meta.dirname, '../../data/bench');
  mkdirSync(dir, { recursive: true });
  return { kind: 'sqlite', file: join(dir, `${name}.db`), ...(synchronous ? { synchronous } : {}) };
}

export function postgresTarget(schema: string): DatabaseConfig {
  return { kind: 'postgres', url: `${BENCH_POSTGRES}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, poolSize: 8 };
}

export async function resetPostgresSchema(schema: string, drop = false): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_POSTGRES });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
    if (!drop) await client.query(`create schema ${schema}`);
  } finally {
    await client.end();
  }
}

export function flag(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}
