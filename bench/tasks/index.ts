// Benchmark: the ai-stack task layer vs raw BullMQ 6 vs Celery 5 (Debian python3-celery), all on the
// same local Redis. Measures end-to-end jobs/s (enqueue N no-op jobs while a worker drains them,
// until the last finishes) and enqueue→start latency p50/p95 (one job at a time on an idle worker).
// Merges its figures into bench/results/tasks.json. Run: npm run bench:tasks (or node bench/tasks/index.ts)
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Type } from 'typebox';
import { createRedisTaskBackend, createTaskSystem, defineTask, startWorkers } from '../../src/tasks/index.ts';

const REDIS_URL = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const JOBS = Number(process.env['BENCH_TASK_JOBS'] ?? 10_000);
const CELERY_JOBS = Number(process.env['BENCH_CELERY_JOBS'] ?? 3_000);
const SAMPLES = Number(process.env['BENCH_LATENCY_SAMPLES'] ?? 300);
const CONCURRENCY = 50;
const ENQUEUE_BATCH = 100;

interface Figures {
  jobs_per_s: number;
  start_latency_p50_ms: number;
  start_latency_p95_ms: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))] ?? NaN;
};

/** Shared driver: `enqueue(t)` sends one job stamped with t; `onStart` is called by the handler. */
async function drive(enqueue: (stamp: number) => Promise<unknown>, started: { count: number; lat: number[] }): Promise<Figures> {
  for (let i = 0; i < 200; i++) await enqueue(now()); // warm-up: scripts loaded, connections open
  while (started.count < 200) await sleep(5);
  started.count = 0;
  const t0 = now();
  for (let sent = 0; sent < JOBS; sent += ENQUEUE_BATCH) await Promise.all(Array.from({ length: ENQUEUE_BATCH }, () => enqueue(now())));
  while (started.count < JOBS) await sleep(2);
  const jobsPerS = JOBS / ((now() - t0) / 1000);
  await sleep(200);
  started.lat = [];
  for (let i = 0; i < SAMPLES; i++) {
    const before = started.lat.length;
    await enqueue(now());
    while (started.lat.length === before) await sleep(1);
  }
  return { jobs_per_s: jobsPerS, start_latency_p50_ms: pct(started.lat, 0.5), start_latency_p95_ms: pct(started.lat, 0.95) };
}

async function benchAiStack(): Promise<Figures> {
  const backend = createRedisTaskBackend({ url: REDIS_URL, keyPrefix: `bench:tasks:${randomUUID().slice(0, 8)}:` });
  const started = { count: 0, lat: [] as number[] };
  const noop = defineTask('bench.noop', { queue: 'bench', args: Type.Object({ t: Type.Number() }), resultTtl: 600_000 }, ({ t }) => {
    started.lat.push(now() - t);
    started.count++;
    return null;
  });
  const system = createTaskSystem({ backend, tasks: [noop], queues: ['bench'] });
  const pool = await startWorkers(system, { queues: ['bench'], concurrency: CONCURRENCY });
  const task = system.task(noop);
  try {
    return await drive((t) => task.delay({ t }), started);
  } finally {
    await pool.close();
    await system.queue('bench').obliterate({ force: true });
    for (const { key } of await backend.store.scan('')) await backend.store.delete(key);
    await system.close();
    await backend.close();
  }
}

async function benchBullmq(): Promise<Figures> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `bench:bullmq:${randomUUID().slice(0, 8)}`;
  const started = { count: 0, lat: [] as number[] };
  const queue = new Queue('bench', { connection, prefix });
  const worker = new Worker('bench', async (job) => {
    started.lat.push(now() - (job.data as { t: number }).t);
    started.count++;
    return null;
  }, { connection, prefix, concurrency: CONCURRENCY });
  await worker.waitUntilReady();
  try {
    // Same retention as the task layer keeps, so both write the same per-job state.
    return await drive((t) => queue.add('bench.noop', { t }, { removeOnComplete: { age: 86_400, count: 5_000 } }), started);
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

async function benchCelery(): Promise<Figures | string> {
  const python = '/usr/bin/python3';
  if (!existsSync(python) || spawnSync(python, ['-c', 'import celery, redis'], { stdio: 'ignore' }).status !== 0) {
    return 'not run: python3-celery/python3-redis are not installed (apt-get install -y python3-celery python3-redis)';
  }
  const version = spawnSync(python, ['-c', 'import celery; print(celery.__version__)'], { encoding: 'utf8' }).stdout.trim();
  // Its own logical database, so Celery's fixed key names (unacked, _kombu.*) cannot meet anyone else's.
  const url = REDIS_URL.replace(/\/\d*$/, '') + '/15';
  const db = new Redis(url);
  const before = new Set(await db.keys('*'));
  const queue = `bench-celery-${randomUUID().slice(0, 8)}`;
  const script = new URL('./celery_bench.py', import.meta.url).pathname;
  const workerProc = spawn(python, [script, 'worker', url, queue, String(Math.max(2, cpus().length * 2))], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const out = spawnSync(python, [script, 'drive', url, queue, String(CELERY_JOBS), String(SAMPLES)], { encoding: 'utf8', timeout: 900_000 });
    const parsed = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as { jobs_per_s: number; latencies_ms: number[] };
    console.log(`celery ${version}: prefork pool, concurrency ${Math.max(2, cpus().length * 2)}, ${CELERY_JOBS} jobs`);
    return { jobs_per_s: parsed.jobs_per_s, start_latency_p50_ms: pct(parsed.latencies_ms, 0.5), start_latency_p95_ms: pct(parsed.latencies_ms, 0.95) };
  } finally {
    workerProc.kill('SIGTERM');
    await new Promise((r) => workerProc.once('exit', r));
    for (const key of await db.keys('*')) if (!before.has(key)) await db.del(key);
    db.disconnect();
  }
}

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 4);
const median = (xs: number[]): number => pct(xs, 0.5);
const results: Record<string, Figures | string> = {};
console.log(`tasks bench: ${JOBS} jobs (Celery ${CELERY_JOBS}), worker concurrency ${CONCURRENCY}, ${SAMPLES} latency samples, ${cpus().length} CPUs, ${ROUNDS} interleaved rounds (median)`);
// The machine is shared and noisy: alternate the two Node implementations and keep each one's median.
const rounds: Record<'ai-stack' | 'bullmq', Figures[]> = { 'ai-stack': [], bullmq: [] };
// One discarded round first: whichever side ran first otherwise paid for JIT and connection warm-up.
await benchAiStack();
await benchBullmq();
for (let r = 0; r < ROUNDS; r++) {
  // Swap who goes first each round, so neither side always runs on a warmer (or busier) machine.
  if (r % 2 === 0) {
    rounds['ai-stack'].push(await benchAiStack());
    rounds.bullmq.push(await benchBullmq());
  } else {
    rounds.bullmq.push(await benchBullmq());
    rounds['ai-stack'].push(await benchAiStack());
  }
  console.log(`round ${r + 1}: ai-stack ${Math.round(rounds['ai-stack'][r]?.jobs_per_s ?? 0)}/s, bullmq ${Math.round(rounds.bullmq[r]?.jobs_per_s ?? 0)}/s`);
}
const summarize = (figs: Figures[]): Figures => ({
  jobs_per_s: median(figs.map((f) => f.jobs_per_s)),
  start_latency_p50_ms: median(figs.map((f) => f.start_latency_p50_ms)),
  start_latency_p95_ms: median(figs.map((f) => f.start_latency_p95_ms)),
});
const roundRatios = rounds['ai-stack'].map((f, i) => f.jobs_per_s / (rounds.bullmq[i]?.jobs_per_s ?? NaN));
console.log(`ai-stack/bullmq throughput per round: ${roundRatios.map((x) => x.toFixed(2)).join(', ')} (median ${median(roundRatios).toFixed(2)})`);
const ours = summarize(rounds['ai-stack']);
const base = summarize(rounds.bullmq);
results['ai-stack'] = ours;
results['bullmq'] = base;
results['celery'] = await benchCelery();

const rows = Object.entries(results).map(([name, f]) => typeof f === 'string'
  ? { implementation: name, jobs_per_s: f, p50_ms: '', p95_ms: '', vs_bullmq: '' }
  : { implementation: name, jobs_per_s: Math.round(f.jobs_per_s), p50_ms: f.start_latency_p50_ms.toFixed(2), p95_ms: f.start_latency_p95_ms.toFixed(2), vs_bullmq: `${(f.jobs_per_s / base.jobs_per_s).toFixed(2)}×` });
console.table(rows);
const celery = results['celery'];
if (typeof celery !== 'string') console.log(`ai-stack vs celery throughput: ${(ours.jobs_per_s / celery.jobs_per_s).toFixed(2)}×`);

// Merge with what bench/tasks/backends.ts writes into the same file.
mkdirSync('bench/results', { recursive: true });
const file = 'bench/results/tasks.json';
const merged = (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}) as Record<string, Record<string, number | string>>;
for (const m of ['jobs_per_s', 'start_latency_p50_ms', 'start_latency_p95_ms'] as const) {
  merged[m] ??= {};
  for (const [name, f] of Object.entries(results)) merged[m][name] = typeof f === 'string' ? f : Math.round(f[m] * 100) / 100;
}
merged['jobs_per_s_ratio_vs_bullmq_median_of_rounds'] = { 'ai-stack': Math.round(median(roundRatios) * 100) / 100 };
writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
console.log(`wrote ${file}`);
process.exit(0);
