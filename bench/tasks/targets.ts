// The BullMQ backends the task-backend benchmarks run on (bench/tasks/backends.ts in one process,
// bench/tasks/cross-process.ts with the worker in another): our embedded SQLite backend under each
// `synchronous` setting, BullMQ's Redis backend and BullMQ's PostgreSQL backend. One place opens,
// reopens (from a worker process) and removes each, and reads each one's durability from the server.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker, createPostgresBackend, type BackendFactory } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createSqliteQueueBackendFactory } from '../../src/tasks/backends/sqlite/index.ts';

export const REDIS = { host: '127.0.0.1', port: 6379 };
export const REDIS_URL = `redis://${REDIS.host}:${REDIS.port}`;
export const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
export const POSTGRES_URL = `postgres://${POSTGRES.user}@${POSTGRES.host}:${POSTGRES.port}/${POSTGRES.database}`;

export type BackendKind = 'ai-stack-sqlite' | 'ai-stack-sqlite-sync-normal' | 'ai-stack-redis' | 'bullmq-postgres';

/** Everything a second process needs to open the same backend (serialisable). */
export interface TargetSpec {
  kind: BackendKind;
  /** SQLite file, Redis key prefix or PostgreSQL schema. */
  place: string;
}

export interface OpenTarget {
  spec: TargetSpec;
  opts: Record<string, unknown>;
  factory: BackendFactory | undefined;
  /** Releases this process's connections (the data stays for the other process). */
  close(): Promise<void>;
}

type Ctor<T> = new (...args: unknown[]) => T;
export const QueueCtor = Queue as unknown as Ctor<Queue>;
export const WorkerCtor = Worker as unknown as Ctor<Worker>;

export const now = (): number => performance.timeOrigin + performance.now();

/** A fresh, empty place for one backend (a new SQLite file, Redis prefix or PostgreSQL schema). */
export function newSpec(kind: BackendKind): TargetSpec {
  const id = randomUUID().slice(0, 8);
  if (kind === 'ai-stack-sqlite' || kind === 'ai-stack-sqlite-sync-normal')
    return { kind, place: join(mkdtempSync(join(tmpdir(), 'ai-stack-bench-queue-')), 'queue.db') };
  if (kind === 'ai-stack-redis') return { kind, place: `bench-backends-${id}` };
  return { kind, place: `bench_bullmq_${id}` };
}

export function openTarget(spec: TargetSpec): OpenTarget {
  switch (spec.kind) {
    case 'ai-stack-sqlite':
    case 'ai-stack-sqlite-sync-normal': {
      const factory = createSqliteQueueBackendFactory({ file: spec.place, synchronous: spec.kind === 'ai-stack-sqlite' ? 'full' : 'normal' });
      return { spec, opts: { connection: {} }, factory, close: () => factory.close() };
    }
    case 'ai-stack-redis':
      return { spec, opts: { connection: REDIS, prefix: spec.place }, factory: undefined, close: async () => undefined };
    case 'bullmq-postgres':
      return {
        spec,
        opts: { connection: { ...POSTGRES, schema: spec.place, migrate: true } },
        factory: createPostgresBackend as unknown as BackendFactory,
        close: async () => undefined,
      };
  }
}

/** Removes everything a spec's runs left behind. */
export async function removeTarget(spec: TargetSpec): Promise<void> {
  if (spec.kind === 'ai-stack-redis') {
    const redis = new Redis(REDIS);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${spec.place}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
  } else if (spec.kind === 'bullmq-postgres') {
    const client = new pg.Client(POSTGRES);
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${spec.place}" CASCADE`);
    await client.end();
  } else {
    rmSync(join(spec.place, '..'), { recursive: true, force: true });
  }
}

/** Each backend's durability, read from the servers as configured for this run (never written as fixed text). */
export async function durabilities(kinds: readonly BackendKind[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const kind of kinds) {
    if (kind === 'ai-stack-sqlite')
      out[kind] = 'SQLite WAL, synchronous=FULL (the default, AI_STACK_SQLITE_SYNCHRONOUS=full): every acknowledged commit is fsynced';
    if (kind === 'ai-stack-sqlite-sync-normal')
      out[kind] = 'SQLite WAL, synchronous=NORMAL (AI_STACK_SQLITE_SYNCHRONOUS=normal): commits survive a crash of the process, not a power loss';
    if (kind === 'ai-stack-redis') out[kind] = await redisDurability();
    if (kind === 'bullmq-postgres') out[kind] = await postgresDurability();
  }
  return out;
}

async function redisDurability(): Promise<string> {
  const redis = new Redis(REDIS);
  try {
    const [, aof] = (await redis.config('GET', 'appendonly')) as [string, string];
    const [, fsync] = (await redis.config('GET', 'appendfsync')) as [string, string];
    const [, save] = (await redis.config('GET', 'save')) as [string, string];
    if (aof === 'yes') return `Redis with AOF, appendfsync ${fsync}`;
    return save === ''
      ? 'Redis without AOF and without RDB snapshots (appendonly no, save ""): every job is lost on a restart of Redis'
      : `Redis without AOF (appendonly no; RDB snapshots "${save}"): jobs acknowledged since the last snapshot are lost on a crash of Redis`;
  } catch (error) {
    return `Redis (durability unknown: ${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
}

async function postgresDurability(): Promise<string> {
  const client = new pg.Client(POSTGRES);
  try {
    await client.connect();
    const read = async (name: string): Promise<string> => (await client.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name] ?? '?';
    return `PostgreSQL fsync=${await read('fsync')}, synchronous_commit=${await read('synchronous_commit')}, wal_sync_method=${await read('wal_sync_method')}`;
  } catch (error) {
    return `PostgreSQL (durability unknown: ${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}
