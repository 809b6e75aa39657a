// npm run bench:tasks (this part: node bench/tasks/backends.ts) — BullMQ 6 with the same Queue/Worker code
// on four backends in one process: our SQLite backend (synchronous=FULL, the default, and NORMAL), BullMQ's
// Redis backend and BullMQ's PostgreSQL backend (local server, own schema). Per round and backend, on a fresh
// queue: addBulk rate, jobs/s processed (no-op handler, concurrency 100, removeOnComplete on every backend)
// and enqueue→start latency on an idle worker. ≥ 5 rounds after a warm-up, backend order rotated per round;
// each backend's durability is read from its server and written beside the figures in bench/results/tasks.json.
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds, type Contender } from '../lib/rounds.ts';
import { percentile, tidy } from '../lib/stats.ts';
import {
  durabilities,
  newSpec,
  now,
  openTarget,
  POSTGRES_URL,
  QueueCtor,
  REDIS_URL,
  removeTarget,
  WorkerCtor,
  type BackendKind,
  type OpenTarget,
} from './targets.ts';

const PROCESS_JOBS = Number(process.env['BENCH_PROCESS_JOBS'] ?? 20_000);
const BULK_JOBS = Number(process.env['BENCH_BULK_JOBS'] ?? 50_000);
const LATENCY_SAMPLES = Number(process.env['BENCH_LATENCY_SAMPLES'] ?? 200);
const ROUNDS = Math.max(5, Number(process.env['BENCH_ROUNDS'] ?? 5));
const CONCURRENCY = 100;
const BATCH = 1000;
const KINDS: BackendKind[] = (process.env['BENCH_BACKENDS']?.split(',') as BackendKind[] | undefined) ?? [
  'ai-stack-sqlite',
  'ai-stack-sqlite-sync-normal',
  'ai-stack-redis',
  'bullmq-postgres',
];

interface Figures {
  jobs_per_s: number;
  bulk_enqueue_per_s: number;
  start_latency_p50_ms: number;
  start_latency_p95_ms: number;
}

async function bulkEnqueue(target: OpenTarget): Promise<number> {
  const queue = new QueueCtor('bulk', target.opts, target.factory);
  await queue.waitUntilReady();
  const batch = Array.from({ length: BATCH }, (_, i) => ({ name: 'b', data: { i } }));
  await queue.addBulk(batch.slice(0, 100)); // schema, prepared statements, scripts
  const start = now();
  for (let added = 0; added < BULK_JOBS; added += batch.length) await queue.addBulk(batch);
  const rate = BULK_JOBS / ((now() - start) / 1000);
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  return rate;
}

async function processThroughput(target: OpenTarget): Promise<number> {
  const queue = new QueueCtor('proc', target.opts, target.factory);
  for (let added = 0; added < PROCESS_JOBS; added += BATCH) {
    await queue.addBulk(Array.from({ length: Math.min(BATCH, PROCESS_JOBS - added) }, () => ({ name: 'p', data: {}, opts: { removeOnComplete: true } })));
  }
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const start = now();
  const worker = new WorkerCtor('proc', async () => undefined, { ...target.opts, concurrency: CONCURRENCY, drainDelay: 1 }, target.factory);
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

async function startLatency(target: OpenTarget): Promise<[number, number]> {
  const queue = new QueueCtor('lat', target.opts, target.factory);
  const samples: number[] = [];
  let started: ((ms: number) => void) | undefined;
  const worker = new WorkerCtor(
    'lat',
    async (job: { data: { t: number } }) => {
      started?.(now() - job.data.t);
    },
    { ...target.opts, concurrency: 1, drainDelay: 5 },
    target.factory,
  );
  await worker.waitUntilReady();
  for (let i = 0; i < LATENCY_SAMPLES + 20; i++) {
    const seen = new Promise<number>((resolve) => (started = resolve));
    await new Promise((resolve) => setTimeout(resolve, 2)); // let the worker go idle (blocked waiting)
    await queue.add('l', { t: now() }, { removeOnComplete: true });
    const ms = await seen;
    if (i >= 20) samples.push(ms); // the first 20 warm up
  }
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  return [percentile(samples, 0.5), percentile(samples, 0.95)];
}

/** One backend's run on a fresh place: nothing carries over between rounds or backends. */
async function measure(kind: BackendKind): Promise<Figures> {
  const spec = newSpec(kind);
  const target = openTarget(spec);
  try {
    const bulk = await bulkEnqueue(target);
    const jobs = await processThroughput(target);
    const [p50, p95] = await startLatency(target);
    return { jobs_per_s: jobs, bulk_enqueue_per_s: bulk, start_latency_p50_ms: p50, start_latency_p95_ms: p95 };
  } finally {
    await target.close();
    await removeTarget(spec).catch(() => undefined);
  }
}

const run = await beginRun(
  'node bench/tasks/backends.ts',
  machineFacts({ redisUrl: REDIS_URL, postgresUrl: POSTGRES_URL, packages: ['bullmq', 'ioredis', 'pg'] }),
);
const durability = await durabilities(KINDS);
console.log(
  `task backends: ${PROCESS_JOBS} jobs processed at concurrency ${CONCURRENCY}, ${BULK_JOBS} bulk-added (batches of ${BATCH}), ${LATENCY_SAMPLES} latency samples; ${ROUNDS} rotated rounds; load ${run.machine.loadBefore.join('/')}`,
);
const contenders: Array<Contender<Figures>> = KINDS.map((kind) => ({ name: kind, run: () => measure(kind) }));
const rounds = await rotatedRounds(contenders, {
  rounds: ROUNDS,
  onRound: (r, f) =>
    console.log(
      `round ${r + 1}: ${Object.entries(f)
        .map(([k, v]) => `${k} ${Math.round(v.jobs_per_s)} jobs/s, ${Math.round(v.bulk_enqueue_per_s)} adds/s`)
        .join('; ')}`,
    ),
});
const metrics = ['jobs_per_s', 'bulk_enqueue_per_s', 'start_latency_p50_ms', 'start_latency_p95_ms'] as const;
const summary = Object.fromEntries(metrics.map((m) => [m, Object.fromEntries(Object.entries(mediansOf(rounds, (f) => f[m])).map(([k, v]) => [k, tidy(v)]))]));
const pairs: Array<[BackendKind, BackendKind]> = [
  ['ai-stack-sqlite', 'ai-stack-redis'],
  ['ai-stack-sqlite', 'ai-stack-sqlite-sync-normal'],
  ['bullmq-postgres', 'ai-stack-redis'],
];
const ratios = Object.fromEntries(
  pairs
    .filter(([a, b]) => KINDS.includes(a) && KINDS.includes(b))
    .flatMap(([a, b]) => [
      [`jobs_per_s: ${a} / ${b}`, ratioOfRounds(rounds, (f) => f.jobs_per_s, a, b)],
      [`bulk_enqueue_per_s: ${a} / ${b}`, ratioOfRounds(rounds, (f) => f.bulk_enqueue_per_s, a, b)],
    ]),
);
console.table(summary);
for (const [k, s] of Object.entries(ratios)) console.log(`${k}: median ${s.median.toFixed(2)} (min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)})`);
for (const [k, d] of Object.entries(durability)) console.log(`${k}: ${d}`);
const path = writeResults(
  'tasks',
  'backends',
  summary,
  run.finish({
    settings: {
      metrics: [...metrics],
      implementations: KINDS,
      processJobs: PROCESS_JOBS,
      bulkJobs: BULK_JOBS,
      bulkBatch: BATCH,
      workerConcurrency: CONCURRENCY,
      latencySamples: LATENCY_SAMPLES,
      rounds: ROUNDS,
      retention: 'removeOnComplete: true on every backend',
      durability,
    },
    ratios,
    rounds,
  }),
);
console.log(`wrote ${path}`);
process.exit(0);
