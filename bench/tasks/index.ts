// npm run bench:tasks (this part: node bench/tasks/index.ts) — the ai-stack task layer on Redis against
// raw BullMQ 6 in the same process, same Redis, same retention, same concurrency, same jobs; ≥ 5 rounds
// with the order rotated, reporting the median and spread of per-round ratios. Then bench/tasks/celery.ts
// compares against Celery with identical producer, handler and worker layout.
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Type } from 'typebox';
import { createRedisTaskBackend, createTaskSystem, defineTask, startWorkers } from '../../src/tasks/index.ts';
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import { percentile, tidy } from '../lib/stats.ts';

const REDIS_URL = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const JOBS = Number(process.env['BENCH_TASK_JOBS'] ?? 10_000);
const SAMPLES = Number(process.env['BENCH_LATENCY_SAMPLES'] ?? 300);
const ROUNDS = Math.max(5, Number(process.env['BENCH_ROUNDS'] ?? 5));
const CONCURRENCY = 50;
const IN_FLIGHT = 100;
// Both sides keep completed jobs 600 s (the task layer's resultTtl below), so both write and expire the same state.
const RETENTION_S = 600;

interface Figures {
  jobs_per_s: number;
  start_latency_p50_ms: number;
  start_latency_p95_ms: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Same driver for both: enqueue JOBS with IN_FLIGHT outstanding while the worker drains, then idle-worker latency. */
async function drive(enqueue: (stamp: number) => Promise<unknown>, started: { count: number; lat: number[] }): Promise<Figures> {
  for (let i = 0; i < 200; i++) await enqueue(now());
  while (started.count < 200) await sleep(5);
  started.count = 0;
  const t0 = now();
  for (let sent = 0; sent < JOBS; sent += IN_FLIGHT) await Promise.all(Array.from({ length: IN_FLIGHT }, () => enqueue(now())));
  while (started.count < JOBS) await sleep(2);
  const jobsPerS = JOBS / ((now() - t0) / 1000);
  await sleep(200);
  started.lat = [];
  for (let i = 0; i < SAMPLES; i++) {
    const before = started.lat.length;
    await enqueue(now());
    while (started.lat.length === before) await sleep(1);
  }
  return { jobs_per_s: jobsPerS, start_latency_p50_ms: percentile(started.lat, 0.5), start_latency_p95_ms: percentile(started.lat, 0.95) };
}

async function aiStack(): Promise<Figures> {
  const backend = createRedisTaskBackend({ url: REDIS_URL, keyPrefix: `bench:tasks:${randomUUID().slice(0, 8)}:` });
  const started = { count: 0, lat: [] as number[] };
  const noop = defineTask('bench.noop', { queue: 'bench', args: Type.Object({ t: Type.Number() }), resultTtl: RETENTION_S * 1000 }, ({ t }) => {
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

async function bullmq(): Promise<Figures> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `bench:bullmq:${randomUUID().slice(0, 8)}`;
  const started = { count: 0, lat: [] as number[] };
  const queue = new Queue('bench', { connection, prefix });
  const worker = new Worker(
    'bench',
    async (job) => {
      started.lat.push(now() - (job.data as { t: number }).t);
      started.count++;
      return null;
    },
    { connection, prefix, concurrency: CONCURRENCY },
  );
  await worker.waitUntilReady();
  try {
    return await drive((t) => queue.add('bench.noop', { t }, { removeOnComplete: { age: RETENTION_S } }), started);
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

const run = await beginRun('node bench/tasks/index.ts', machineFacts({ redisUrl: REDIS_URL, packages: ['bullmq', 'ioredis'] }));
console.log(
  `tasks bench (layer vs raw BullMQ): ${JOBS} jobs, ${IN_FLIGHT} enqueues in flight, worker concurrency ${CONCURRENCY}, ${SAMPLES} latency samples, ${ROUNDS} rotated rounds; load ${run.machine.loadBefore.join('/')}`,
);
const rounds = await rotatedRounds(
  [
    { name: 'ai-stack', run: aiStack },
    { name: 'bullmq', run: bullmq },
  ],
  {
    rounds: ROUNDS,
    onRound: (r, f) =>
      console.log(`round ${r + 1}: ai-stack ${Math.round(f['ai-stack']?.jobs_per_s ?? 0)}/s, bullmq ${Math.round(f.bullmq?.jobs_per_s ?? 0)}/s`),
  },
);
const metrics = ['jobs_per_s', 'start_latency_p50_ms', 'start_latency_p95_ms'] as const;
const summary = Object.fromEntries(metrics.map((m) => [m, Object.fromEntries(Object.entries(mediansOf(rounds, (f) => f[m])).map(([k, v]) => [k, tidy(v)]))]));
const ratios = {
  'jobs_per_s: ai-stack / bullmq': ratioOfRounds(rounds, (f) => f.jobs_per_s, 'ai-stack', 'bullmq'),
  'start_latency_p50_ms: ai-stack / bullmq': ratioOfRounds(rounds, (f) => f.start_latency_p50_ms, 'ai-stack', 'bullmq'),
};
console.table(summary);
for (const [k, s] of Object.entries(ratios)) console.log(`${k}: median ${s.median.toFixed(2)} (min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)})`);
const path = writeResults(
  'tasks',
  'layer',
  summary,
  run.finish({
    settings: {
      metrics: [...metrics],
      jobs: JOBS,
      enqueuesInFlight: IN_FLIGHT,
      workerConcurrency: CONCURRENCY,
      latencySamples: SAMPLES,
      rounds: ROUNDS,
      retention: `completed jobs kept ${RETENTION_S} s on both sides`,
      durability: 'same Redis, both sides',
    },
    ratios,
    rounds,
  }),
);
console.log(`wrote ${path}`);
process.exit(0);
