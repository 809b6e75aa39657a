// Benchmark: BullMQ 6.7.0 on three backends in one run — our SQLite backend, BullMQ's Redis backend
// and BullMQ's PostgreSQL backend (local server, own schema) — with the same Queue/Worker code.
// Measures jobs/s processed (no-op handler, concurrency 100), addBulk jobs/s and enqueue→start
// latency (idle worker). Merges its figures into bench/results/tasks.json (read-modify-write).
// Run: npm run bench:tasks   (or: node bench/tasks/backends.ts)
import { randomUUID } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker, createPostgresBackend, type BackendFactory } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createSqliteQueueBackendFactory } from '../../src/tasks/backends/sqlite/index.ts';

const PROCESS_JOBS = Number(process.env['BENCH_PROCESS_JOBS'] ?? 20_000);
const BULK_JOBS = Number(process.env['BENCH_BULK_JOBS'] ?? 50_000);
const LATENCY_SAMPLES = Number(process.env['BENCH_LATENCY_SAMPLES'] ?? 300);
const CONCURRENCY = 100;

type Ctor<T> = new (...args: unknown[]) => T;
const QueueCtor = Queue as unknown as Ctor<Queue>;
const WorkerCtor = Worker as unknown as Ctor<Worker>;

interface Target {
  name: string;
  opts: Record<string, unknown>;
  factory: BackendFactory | undefined;
  teardown(): Promise<void>;
}

interface Figures {
  jobs_per_s: number;
  bulk_enqueue_per_s: number;
  start_latency_p50_ms: number;
  start_latency_p95_ms: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN;

async function bulkEnqueue(target: Target): Promise<number> {
  const queue = new QueueCtor(`bulk-${randomUUID().slice(0, 8)}`, target.opts, target.factory);
  await queue.waitUntilReady();
  const batch = Array.from({ length: 1000 }, (_, i) => ({ name: 'b', data: { i } }));
  await queue.addBulk(batch.slice(0, 100)); // warm-up (schema, prepared statements, scripts)
  const start = now();
  for (let added = 0; added < BULK_JOBS; added += batch.length) await queue.addBulk(batch);
  const rate = BULK_JOBS / ((now() - start) / 1000);
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  return rate;
}

async function processThroughput(target: Target): Promise<number> {
  const name = `proc-${randomUUID().slice(0, 8)}`;
  const queue = new QueueCtor(name, target.opts, target.factory);
  for (let added = 0; added < PROCESS_JOBS; added += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, PROCESS_JOBS - added) }, () => ({ name: 'p', data: {}, opts: { removeOnComplete: true } })));
  }
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const start = now();
  const worker = new WorkerCtor(name, async () => undefined, { ...target.opts, concurrency: CONCURRENCY, drainDelay: 1 }, target.factory);
  worker.on('completed', () => {
    if (++done === PROCESS_JOBS) finish();
  });
  await finished;
  const rate = PROCESS_JOBS / ((now() - start) / 1000);
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  return rate;
}

async function startLatency(target: Target): Promise<[number, number]> {
  const name = `lat-${randomUUID().slice(0, 8)}`;
  const queue = new QueueCtor(name, target.opts, target.factory);
  const samples: number[] = [];
  let started: ((ms: number) => void) | undefined;
  const worker = new WorkerCtor(name, async (job: { data: { t: number } }) => {
    started?.(now() - job.data.t);
  }, { ...target.opts, concurrency: 1, drainDelay: 5 }, target.factory);
  await worker.waitUntilReady();
  for (let i = 0; i < LATENCY_SAMPLES + 20; i++) {
    const seen = new Promise<number>((resolve) => (started = resolve));
    await new Promise((resolve) => setTimeout(resolve, 2)); // let the worker go idle (blocked waiting)
    await queue.add('l', { t: now() }, { removeOnComplete: true });
    const ms = await seen;
    if (i >= 20) samples.push(ms); // first 20 warm up
  }
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  samples.sort((a, b) => a - b);
  return [percentile(samples, 0.5), percentile(samples, 0.95)];
}

function sqliteTarget(): Target {
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-bench-sqlite-'));
  const factory = createSqliteQueueBackendFactory({ file: join(dir, 'queue.db') });
  return {
    name: 'ai-stack-sqlite', opts: { connection: {} }, factory: factory,
    teardown: async () => {
      await factory.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function redisTarget(): Target {
  const prefix = `bench-backends-${randomUUID().slice(0, 8)}`;
  const connection = { host: '127.0.0.1', port: 6379 };
  return {
    name: 'ai-stack-redis', opts: { connection, prefix }, factory: undefined,
    teardown: async () => {
      const redis = new Redis(connection);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
    },
  };
}

function postgresTarget(): Target {
  const schema = `bench_bullmq_${randomUUID().slice(0, 8)}`;
  const base = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
  return {
    name: 'bullmq-postgres', opts: { connection: { ...base, schema, migrate: true } }, factory: createPostgresBackend as unknown as BackendFactory,
    teardown: async () => {
      const client = new pg.Client(base);
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

async function measure(make: () => Target): Promise<[string, Figures | string]> {
  const target = make();
  try {
    const bulk = await bulkEnqueue(target);
    const jobs = await processThroughput(target);
    const [p50, p95] = await startLatency(target);
    return [target.name, { jobs_per_s: jobs, bulk_enqueue_per_s: bulk, start_latency_p50_ms: p50, start_latency_p95_ms: p95 }];
  } catch (error) {
    return [target.name, `failed: ${(error as Error).message}`];
  } finally {
    await target.teardown().catch(() => undefined);
  }
}

const results: Array<[string, Figures | string]> = [];
for (const make of [sqliteTarget, redisTarget, postgresTarget]) {
  results.push(await measure(make));
  console.error(`measured ${results.at(-1)![0]}`);
}

const ok = results.filter((r): r is [string, Figures] => typeof r[1] !== 'string');
const redis = ok.find(([name]) => name === 'ai-stack-redis')?.[1];
const keys = ['jobs_per_s', 'bulk_enqueue_per_s', 'start_latency_p50_ms', 'start_latency_p95_ms'] as const;
const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
console.log(`\nBullMQ 6.7.0 backends — ${cpus().length} CPU(s), Node ${process.version}; ${PROCESS_JOBS} jobs processed at concurrency ${CONCURRENCY}, ${BULK_JOBS} bulk-added, ${LATENCY_SAMPLES} latency samples`);
console.log(`| measurement | ${ok.map(([n]) => n).join(' | ')} | ${ok.filter(([n]) => n !== 'ai-stack-redis').map(([n]) => `${n} ÷ redis`).join(' | ')} |`);
console.log(`|---|${ok.map(() => '---:').join('|')}|${ok.filter(([n]) => n !== 'ai-stack-redis').map(() => '---:').join('|')}|`);
for (const key of keys) {
  const ratios = ok.filter(([n]) => n !== 'ai-stack-redis').map(([, f]) => (redis ? `${(f[key] / redis[key]).toFixed(2)}×` : 'n/a'));
  console.log(`| ${key} | ${ok.map(([, f]) => fmt(f[key])).join(' | ')} | ${ratios.join(' | ')} |`);
}
for (const [name, outcome] of results) if (typeof outcome === 'string') console.log(`${name}: ${outcome}`);

// Merge into the task benchmark's results file (the task-layer bench writes it first).
mkdirSync('bench/results', { recursive: true });
const path = 'bench/results/tasks.json';
let merged: Record<string, Record<string, number>> = {};
try {
  merged = JSON.parse(readFileSync(path, 'utf8')) as typeof merged;
} catch {
  merged = {};
}
for (const [name, figures] of ok) {
  for (const key of keys) (merged[key] ??= {})[name] = Math.round(figures[key] * 100) / 100;
}
writeFileSync(path, `${JSON.stringify(merged, null, 2)}\n`);
console.log(`\nwrote ${path}`);
