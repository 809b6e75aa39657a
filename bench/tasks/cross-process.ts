// npm run bench:tasks (this part: node bench/tasks/cross-process.ts) — the producer and the worker in two
// processes (the `npm start` + `ai-stack worker` topology): enqueue→start latency on an idle worker, jobs/s
// with 100 adds in flight while the other process drains them, and the idle worker's CPU use. The worker
// process reports each start over IPC, timed on its own clock (both are the machine's). Backends and their
// durability come from bench/tasks/targets.ts; ≥ 5 rounds after a warm-up, backend order rotated per round.
// Writes `cross_process_*` into bench/results/tasks.json.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import { percentile, tidy } from '../lib/stats.ts';
import { durabilities, newSpec, now, openTarget, QueueCtor, REDIS_URL, removeTarget, WorkerCtor, type BackendKind, type TargetSpec } from './targets.ts';

const SAMPLES = Number(process.env['BENCH_CROSS_PROCESS_SAMPLES'] ?? 200);
const JOBS = Number(process.env['BENCH_CROSS_PROCESS_JOBS'] ?? 5_000);
const IDLE_MS = Number(process.env['BENCH_IDLE_MS'] ?? 2000);
const ROUNDS = Math.max(5, Number(process.env['BENCH_ROUNDS'] ?? 5));
const IN_FLIGHT = 100;
const CONCURRENCY = 100;
const KINDS: BackendKind[] = ['ai-stack-sqlite', 'ai-stack-sqlite-sync-normal', 'ai-stack-redis'];

type ToParent = { ready: true } | { started: number; id: string } | { completed: number } | { cpuMicros: number };
interface Figures {
  cross_process_start_p50_ms: number;
  cross_process_start_p95_ms: number;
  cross_process_jobs_per_s: number;
  cross_process_idle_worker_cpu_pct: number;
}

/** The worker process: a latency worker (concurrency 1) and a throughput worker (concurrency 100). */
async function workerProcess(spec: TargetSpec): Promise<void> {
  const send = (message: ToParent): void => {
    process.send?.(message);
  };
  const target = openTarget(spec);
  const latency = new WorkerCtor(
    'lat',
    async (job: { id?: string }) => {
      send({ started: now(), id: job.id ?? '' });
    },
    { ...target.opts, concurrency: 1, drainDelay: 5 },
    target.factory,
  );
  let completed = 0;
  const throughput = new WorkerCtor('proc', async () => undefined, { ...target.opts, concurrency: CONCURRENCY, drainDelay: 5 }, target.factory);
  throughput.on('completed', () => {
    if (++completed === JOBS) send({ completed: now() });
  });
  await Promise.all([latency.waitUntilReady(), throughput.waitUntilReady()]);
  process.on('message', (message: { idle?: number; stop?: boolean }) => {
    if (message.idle) {
      const before = process.cpuUsage();
      setTimeout(() => {
        const used = process.cpuUsage(before);
        send({ cpuMicros: used.user + used.system });
      }, message.idle);
    }
    if (message.stop)
      void Promise.all([latency.close(), throughput.close()])
        .then(() => target.close())
        .then(() => process.exit(0));
  });
  send({ ready: true });
}

/** Messages from the child, awaited by kind. */
function inbox(child: ChildProcess): <T extends ToParent>(match: (m: ToParent) => m is T) => Promise<T> {
  const messages: ToParent[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (message: ToParent) => {
    messages.push(message);
    wake?.();
  });
  return async (match) => {
    for (;;) {
      const index = messages.findIndex(match);
      if (index >= 0) return messages.splice(index, 1)[0] as never;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
}

async function measure(kind: BackendKind): Promise<Figures> {
  const spec = newSpec(kind);
  const target = openTarget(spec);
  const latencyQueue = new QueueCtor('lat', target.opts, target.factory);
  const throughputQueue = new QueueCtor('proc', target.opts, target.factory);
  await Promise.all([latencyQueue.waitUntilReady(), throughputQueue.waitUntilReady()]);
  const child = fork(fileURLToPath(import.meta.url), ['worker', JSON.stringify(spec)], { stdio: 'inherit' });
  const receive = inbox(child);
  try {
    await receive((m): m is { ready: true } => 'ready' in m);
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES + 20; i++) {
      // Let the worker go idle (blocked in its wait) before each job, as a real producer would find it.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const sent = now();
      const job = await latencyQueue.add('x', {}, { removeOnComplete: true });
      const started = await receive((m): m is { started: number; id: string } => 'started' in m && m.id === job.id);
      if (i >= 20) samples.push(started.started - sent);
    }
    const t0 = now();
    for (let sent = 0; sent < JOBS; sent += IN_FLIGHT) {
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, JOBS - sent) }, () => throughputQueue.add('p', {}, { removeOnComplete: true })));
    }
    const { completed } = await receive((m): m is { completed: number } => 'completed' in m);
    child.send({ idle: IDLE_MS });
    const { cpuMicros } = await receive((m): m is { cpuMicros: number } => 'cpuMicros' in m);
    return {
      cross_process_start_p50_ms: percentile(samples, 0.5),
      cross_process_start_p95_ms: percentile(samples, 0.95),
      cross_process_jobs_per_s: JOBS / ((completed - t0) / 1000),
      cross_process_idle_worker_cpu_pct: (cpuMicros / 1000 / IDLE_MS) * 100,
    };
  } finally {
    child.send({ stop: true });
    await new Promise((resolve) => child.once('exit', resolve));
    await latencyQueue.close();
    await throughputQueue.close();
    await target.close();
    await removeTarget(spec).catch(() => undefined);
  }
}

if (process.argv[2] === 'worker') {
  await workerProcess(JSON.parse(process.argv[3] ?? '{}') as TargetSpec);
} else {
  const run = await beginRun('node bench/tasks/cross-process.ts', machineFacts({ redisUrl: REDIS_URL, packages: ['bullmq', 'ioredis'] }));
  const durability = await durabilities(KINDS);
  console.log(
    `cross-process tasks: ${SAMPLES} latency samples, ${JOBS} jobs with ${IN_FLIGHT} adds in flight (worker concurrency ${CONCURRENCY}), idle CPU over ${IDLE_MS} ms; ${ROUNDS} rotated rounds; load ${run.machine.loadBefore.join('/')}`,
  );
  const rounds = await rotatedRounds(
    KINDS.map((kind) => ({ name: kind, run: () => measure(kind) })),
    {
      rounds: ROUNDS,
      onRound: (r, f) =>
        console.log(
          `round ${r + 1}: ${Object.entries(f)
            .map(([k, v]) => `${k} p50 ${v.cross_process_start_p50_ms.toFixed(2)} ms, ${Math.round(v.cross_process_jobs_per_s)} jobs/s`)
            .join('; ')}`,
        ),
    },
  );
  const metrics = ['cross_process_start_p50_ms', 'cross_process_start_p95_ms', 'cross_process_jobs_per_s', 'cross_process_idle_worker_cpu_pct'] as const;
  const summary = Object.fromEntries(metrics.map((m) => [m, Object.fromEntries(Object.entries(mediansOf(rounds, (f) => f[m])).map(([k, v]) => [k, tidy(v)]))]));
  const ratios = {
    'cross_process_jobs_per_s: ai-stack-sqlite / ai-stack-redis': ratioOfRounds(rounds, (f) => f.cross_process_jobs_per_s, 'ai-stack-sqlite', 'ai-stack-redis'),
    'cross_process_jobs_per_s: ai-stack-sqlite / ai-stack-sqlite-sync-normal': ratioOfRounds(
      rounds,
      (f) => f.cross_process_jobs_per_s,
      'ai-stack-sqlite',
      'ai-stack-sqlite-sync-normal',
    ),
    'cross_process_start_p50_ms: ai-stack-sqlite / ai-stack-redis': ratioOfRounds(
      rounds,
      (f) => f.cross_process_start_p50_ms,
      'ai-stack-sqlite',
      'ai-stack-redis',
    ),
  };
  console.table(summary);
  for (const [k, s] of Object.entries(ratios)) console.log(`${k}: median ${s.median.toFixed(2)} (min ${s.min.toFixed(2)}, max ${s.max.toFixed(2)})`);
  const path = writeResults(
    'tasks',
    'cross-process',
    summary,
    run.finish({
      settings: {
        metrics: [...metrics],
        implementations: KINDS,
        latencySamples: SAMPLES,
        jobs: JOBS,
        enqueuesInFlight: IN_FLIGHT,
        workerConcurrency: CONCURRENCY,
        idleMs: IDLE_MS,
        rounds: ROUNDS,
        topology: 'producer in this process, worker in a forked process',
        durability,
      },
      ratios,
      rounds,
    }),
  );
  console.log(`wrote ${path}`);
  process.exit(0);
}
