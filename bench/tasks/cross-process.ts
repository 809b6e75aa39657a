// Benchmark: enqueue→start latency when the producer and the worker are two processes (the
// `npm start` + `ai-stack worker` topology), on the embedded SQLite backend and on Redis, and the
// idle worker's CPU use. The worker process reports, over IPC, when each job started (measured on
// its own clock, both clocks being the machine's). Merges `cross_process_start_p50_ms` (and p95,
// idle CPU) into bench/results/tasks.json. Run: node bench/tasks/cross-process.ts (part of bench:tasks).
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker, type BackendFactory } from 'bullmq';
import { Redis } from 'ioredis';
import { createSqliteQueueBackendFactory } from '../../src/tasks/backends/sqlite/index.ts';

const SAMPLES = Number(process.env['BENCH_CROSS_PROCESS_SAMPLES'] ?? 200);
const IDLE_MS = Number(process.env['BENCH_IDLE_MS'] ?? 3000);
const REDIS = { host: '127.0.0.1', port: 6379 };

type Ctor<T> = new (...args: unknown[]) => T;
const QueueCtor = Queue as unknown as Ctor<Queue>;
const WorkerCtor = Worker as unknown as Ctor<Worker>;

interface Spec { kind: 'sqlite' | 'redis'; file: string; prefix: string; queue: string; synchronous: 'full' | 'normal' }
type ToParent = { ready: true } | { started: number; id: string } | { cpuMicros: number };

const now = (): number => performance.timeOrigin + performance.now();

function bullmqFor(spec: Spec): { opts: Record<string, unknown>; factory: BackendFactory | undefined; close(): Promise<void> } {
  if (spec.kind === 'redis') return { opts: { connection: REDIS, prefix: spec.prefix }, factory: undefined, close: async () => undefined };
  const factory = createSqliteQueueBackendFactory({ file: spec.file, synchronous: spec.synchronous });
  return { opts: { connection: {} }, factory, close: () => factory.close() };
}

/** The worker process: processes jobs, reports each start, and its CPU use while idle on request. */
async function workerProcess(spec: Spec): Promise<void> {
  const send = (message: ToParent): void => {
    process.send?.(message);
  };
  const target = bullmqFor(spec);
  const worker = new WorkerCtor(spec.queue, async (job: { id?: string }) => {
    send({ started: now(), id: job.id ?? '' });
  }, { ...target.opts, concurrency: 1, drainDelay: 5 }, target.factory);
  await worker.waitUntilReady();
  process.on('message', (message: { idle?: number; stop?: boolean }) => {
    if (message.idle) {
      const before = process.cpuUsage();
      setTimeout(() => {
        const used = process.cpuUsage(before);
        send({ cpuMicros: used.user + used.system });
      }, message.idle);
    }
    if (message.stop) void worker.close().then(() => target.close()).then(() => process.exit(0));
  });
  send({ ready: true });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN;
}

async function measure(kind: Spec['kind'], synchronous: Spec['synchronous']): Promise<{ p50: number; p95: number; idleCpuPct: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-bench-xproc-'));
  const spec: Spec = { kind, file: join(dir, 'tasks.sqlite'), prefix: `bench-xproc-${randomUUID().slice(0, 8)}`, queue: 'xproc', synchronous };
  const target = bullmqFor(spec);
  const queue = new QueueCtor(spec.queue, target.opts, target.factory);
  await queue.waitUntilReady();
  const child = fork(fileURLToPath(import.meta.url), ['worker', JSON.stringify(spec)], { stdio: 'inherit' });
  const inbox: ToParent[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (message: ToParent) => {
    inbox.push(message);
    wake?.();
  });
  const receive = async <T extends ToParent>(match: (m: ToParent) => m is T): Promise<T> => {
    for (;;) {
      const index = inbox.findIndex(match);
      if (index >= 0) return inbox.splice(index, 1)[0] as T;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  try {
    await receive((m): m is { ready: true } => 'ready' in m);
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES + 20; i++) {
      // Let the worker go idle (blocked in its wait) before each job, as a real producer would find it.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const sent = now();
      const job = await queue.add('x', {}, { removeOnComplete: true });
      const started = await receive((m): m is { started: number; id: string } => 'started' in m && m.id === job.id);
      if (i >= 20) samples.push(started.started - sent);
    }
    child.send({ idle: IDLE_MS });
    const { cpuMicros } = await receive((m): m is { cpuMicros: number } => 'cpuMicros' in m);
    samples.sort((a, b) => a - b);
    return { p50: percentile(samples, 0.5), p95: percentile(samples, 0.95), idleCpuPct: (cpuMicros / 1000 / IDLE_MS) * 100 };
  } finally {
    child.send({ stop: true });
    await new Promise((resolve) => child.once('exit', resolve));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await target.close();
    if (kind === 'redis') await deleteRedisKeys(spec.prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}

if (process.argv[2] === 'worker') {
  await workerProcess(JSON.parse(process.argv[3] ?? '{}') as Spec);
} else {
  const results: Record<string, { p50: number; p95: number; idleCpuPct: number }> = {};
  // The embedded default is durable (AI_STACK_SQLITE_SYNCHRONOUS=full): the add's own fsync is part of
  // its latency; the `normal` row shows the same path without it.
  for (const [name, kind, sync] of [['ai-stack-sqlite', 'sqlite', 'full'], ['ai-stack-sqlite-sync-normal', 'sqlite', 'normal'], ['ai-stack-redis', 'redis', 'full']] as const) {
    results[name] = await measure(kind, sync);
  }
  const round = (n: number): number => Math.round(n * 100) / 100;
  console.log(`\nCross-process enqueue→start (producer and worker in two processes) — ${cpus().length} CPU(s), Node ${process.version}, ${SAMPLES} samples, idle CPU over ${IDLE_MS} ms`);
  console.log('| backend | p50 ms | p95 ms | idle worker CPU % |');
  console.log('|---|---:|---:|---:|');
  for (const [name, r] of Object.entries(results)) console.log(`| ${name} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.idleCpuPct.toFixed(2)} |`);
  mkdirSync('bench/results', { recursive: true });
  const path = 'bench/results/tasks.json';
  let merged: Record<string, Record<string, number>> = {};
  try {
    merged = JSON.parse(readFileSync(path, 'utf8')) as typeof merged;
  } catch {
    merged = {};
  }
  for (const [name, r] of Object.entries(results)) {
    (merged['cross_process_start_p50_ms'] ??= {})[name] = round(r.p50);
    (merged['cross_process_start_p95_ms'] ??= {})[name] = round(r.p95);
    (merged['cross_process_idle_worker_cpu_pct'] ??= {})[name] = round(r.idleCpuPct);
  }
  writeFileSync(path, `${JSON.stringify(merged, null, 2)}\n`);
  console.log(`\nwrote ${path}`);
}
