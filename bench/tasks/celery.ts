// npm run bench:tasks (this part: node bench/tasks/celery.ts) — the ai-stack task layer against Celery 5
// with the same work on both sides: the same Redis (logical db 15), the same job count, the same producer
// concurrency, the same handler (one Redis pipeline, peer-task.ts / celery_bench.py), results stored on both
// sides, and the same number of concurrently running tasks (Celery prefork processes vs ai-stack worker
// processes × concurrency). Enqueue rate (no worker running) and drain rate (from the first start to the
// last) are measured apart; then enqueue→start latency on an idle worker. ≥ 5 rounds, order rotated.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import { percentile, tidy } from '../lib/stats.ts';
import { benchTaskSystem } from './peer-task.ts';

const BASE_URL = (process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '');
const URL_15 = `${BASE_URL}/15`;
const JOBS = Number(process.env['BENCH_CELERY_JOBS'] ?? 5_000);
const SAMPLES = Number(process.env['BENCH_LATENCY_SAMPLES'] ?? 200);
const ROUNDS = Math.max(5, Number(process.env['BENCH_ROUNDS'] ?? 5));
const PRODUCERS = Number(process.env['BENCH_PRODUCER_CONCURRENCY'] ?? 16);
// Celery's prefork default is one process per CPU; for tasks that wait on I/O its docs advise more. Both
// sides get the same number of task slots: Celery SLOTS processes, ai-stack one process per CPU × SLOTS/CPUs.
const SLOTS = Number(process.env['BENCH_TASK_SLOTS'] ?? 8);
const NODE_WORKERS = cpus().length;
const PREFETCH = 16;
const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('./celery_bench.py', import.meta.url).pathname;

interface Figures {
  enqueue_per_s: number;
  drain_per_s: number;
  start_latency_p50_ms: number;
  start_latency_p95_ms: number;
}

interface Side {
  startWorkers(): Promise<() => Promise<void>>;
  /** Seconds to enqueue JOBS with PRODUCERS in flight. */
  enqueue(key: string): Promise<number>;
  latency(key: string): Promise<void>;
  close?(): Promise<void>;
}

const redis = new Redis(URL_15);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(key: string, count: number, timeoutMs = 600_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Number(await redis.get(`${key}:done`)) < count) {
    if (Date.now() > end) throw new Error(`${key}: ${count} jobs did not finish in time`);
    await sleep(2);
  }
  return Date.now();
}

async function measure(side: Side, name: string): Promise<Figures> {
  const key = `bench-celery:${name}:${randomUUID().slice(0, 8)}`;
  const enqueueSeconds = await side.enqueue(key);
  const stop = await side.startWorkers();
  try {
    const done = await waitFor(key, JOBS);
    const first = Number(await redis.get(`${key}:first`));
    await side.latency(`${key}:lat`);
    const lat = (await redis.lrange(`${key}:lat:lat`, 0, -1)).map(Number);
    return {
      enqueue_per_s: JOBS / enqueueSeconds,
      drain_per_s: JOBS / ((done - first) / 1000),
      start_latency_p50_ms: percentile(lat, 0.5),
      start_latency_p95_ms: percentile(lat, 0.95),
    };
  } finally {
    await stop();
    for (const k of await redis.keys(`${key}*`)) await redis.del(k);
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

function aiStackSide(): Side {
  const prefix = `bench:celery-peer:${randomUUID().slice(0, 8)}:`;
  const { system, backend, task } = benchTaskSystem(URL_15, prefix, undefined);
  const handle = system.task(task);
  return {
    async startWorkers() {
      const children = Array.from({ length: NODE_WORKERS }, () =>
        spawn(process.execPath, [new URL('./ai-stack-worker.ts', import.meta.url).pathname, URL_15, prefix, String(Math.ceil(SLOTS / NODE_WORKERS))], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
      await Promise.all(children.map((c) => new Promise((resolve) => c.once('message', resolve))));
      return async () => {
        for (const c of children) c.kill('SIGTERM');
        await Promise.all(children.map(exited));
      };
    },
    async enqueue(key) {
      await handle.delay({ t: Date.now(), key: `${key}-warm` });
      const start = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: PRODUCERS }, async () => {
          while (next++ < JOBS) await handle.delay({ t: Date.now(), key });
        }),
      );
      return (performance.now() - start) / 1000;
    },
    async latency(key) {
      for (let i = 0; i < SAMPLES; i++) {
        await handle.delay({ t: Date.now(), key });
        await waitFor(key, i + 1);
      }
    },
    async close() {
      await system.close();
      await backend.close();
    },
  };
}

function celerySide(): Side {
  const queue = `bench-celery-${randomUUID().slice(0, 8)}`;
  const python = (args: string[]): string => {
    const out = spawnSync(PYTHON, [SCRIPT, ...args], { encoding: 'utf8', timeout: 900_000 });
    if (out.status !== 0) throw new Error(`celery_bench.py ${args[0]} failed: ${out.stderr}`);
    return out.stdout;
  };
  return {
    async startWorkers() {
      const child = spawn(PYTHON, [SCRIPT, 'worker', URL_15, queue, String(SLOTS), String(PREFETCH)], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, PYTHONWARNINGS: 'ignore' },
      });
      return async () => {
        child.kill('SIGTERM');
        await exited(child);
      };
    },
    enqueue: async (key) => (JSON.parse(python(['enqueue', URL_15, queue, String(JOBS), String(PRODUCERS), key]).trim()) as { seconds: number }).seconds,
    latency: async (key) => void python(['latency', URL_15, queue, String(SAMPLES), key]),
  };
}

if (spawnSync(PYTHON, ['-c', 'import celery, redis'], { stdio: 'ignore' }).status !== 0) {
  console.error('Celery is not installed: apt-get install -y python3-celery python3-redis');
  process.exit(1);
}
const celeryVersion = spawnSync(PYTHON, ['-c', 'import celery; print(celery.__version__)'], { encoding: 'utf8' }).stdout.trim();
const run = await beginRun('node bench/tasks/celery.ts', machineFacts({ redisUrl: URL_15, packages: ['bullmq'] }));
console.log(
  `tasks bench (vs Celery ${celeryVersion}): ${JOBS} jobs, ${PRODUCERS} producers in flight, ${SLOTS} task slots each side, ${ROUNDS} rotated rounds; load ${run.machine.loadBefore.join('/')}`,
);
const ours = aiStackSide();
const theirs = celerySide();
const rounds = await rotatedRounds(
  [
    { name: 'ai-stack', run: () => measure(ours, 'ai-stack') },
    { name: 'celery', run: () => measure(theirs, 'celery') },
  ],
  {
    rounds: ROUNDS,
    onRound: (r, f) =>
      console.log(`round ${r + 1}: drain ai-stack ${Math.round(f['ai-stack']?.drain_per_s ?? 0)}/s, celery ${Math.round(f.celery?.drain_per_s ?? 0)}/s`),
  },
);
const metrics = ['enqueue_per_s', 'drain_per_s', 'start_latency_p50_ms', 'start_latency_p95_ms'] as const;
const summary = Object.fromEntries(metrics.map((m) => [m, Object.fromEntries(Object.entries(mediansOf(rounds, (f) => f[m])).map(([k, v]) => [k, tidy(v)]))]));
const ratios = {
  'enqueue_per_s: ai-stack / celery': ratioOfRounds(rounds, (f) => f.enqueue_per_s, 'ai-stack', 'celery'),
  'drain_per_s: ai-stack / celery': ratioOfRounds(rounds, (f) => f.drain_per_s, 'ai-stack', 'celery'),
};
console.table(summary);
const path = writeResults(
  'tasks',
  'celery',
  summary,
  run.finish({
    settings: {
      metrics: [...metrics],
      jobs: JOBS,
      rounds: ROUNDS,
      producerConcurrency: PRODUCERS,
      latencySamples: SAMPLES,
      celery: `Celery ${celeryVersion} (Debian python3-celery), prefork -c ${SLOTS}, worker_prefetch_multiplier ${PREFETCH}, acks on receipt (default), Redis result backend, results kept 600 s`,
      'ai-stack': `${NODE_WORKERS} worker processes × concurrency ${Math.ceil(SLOTS / NODE_WORKERS)}, results kept (default resultTtl)`,
      handler: 'one Redis pipeline (INCR, SET NX, RPUSH) on both sides',
    },
    ratios,
    rounds,
  }),
);
console.log(`wrote ${path}`);
await ours.close?.();
redis.disconnect();
process.exit(0);
