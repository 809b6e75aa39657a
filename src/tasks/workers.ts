import { randomUUID } from 'node:crypto';
import { Worker, type IQueueBackend, type JobProgress } from 'bullmq';
import { backoffStrategyFor } from './backoff.ts';
import { TaskRevokedError } from './errors.ts';
import { WorkerShuttingDown, createProcessor, workerHost, type ActiveJobs } from './processor.ts';
import type { TaskEnvelope } from './results.ts';
import { WorkerRegistry, type WorkerInfo } from './registry.ts';
import type { TaskSystem } from './system.ts';

export interface StartWorkersOptions {
  /** Queues to consume; default every queue the system knows. */
  queues?: readonly string[];
  /** Jobs run at once per queue (a number for all, or per queue name). Default 10. */
  concurrency?: number | Record<string, number>;
  /** How long a job's lock lives without renewal; a killed worker's jobs return after about this. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Times a job may be recovered from a dead worker before it is failed. Default 3. */
  maxStalledCount?: number;
  heartbeatMs?: number;
  /** How often running jobs are checked for revoke({ terminate }). Default 500 ms. */
  revokePollMs?: number;
  name?: string;
}

export interface WorkerPool {
  readonly id: string;
  readonly queues: readonly string[];
  /** Graceful: stop taking jobs, wait up to `timeoutMs` for running ones, then let stalled-recovery re-queue the rest. */
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

type TaskWorker = Worker<TaskEnvelope, unknown, string, IQueueBackend, JobProgress, unknown>;

export async function startWorkers(system: TaskSystem, opts: StartWorkersOptions = {}): Promise<WorkerPool> {
  const id = opts.name ?? `${workerHost}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const queues = opts.queues ?? system.queueNames;
  const active: ActiveJobs = new Map();
  const counts = { processed: 0, failed: 0 };
  let revocationsExist = await system.results.anyRevocations();
  const processor = createProcessor(system, active, id, () => revocationsExist);
  const { factory, connection, prefix } = system.backend.bullmq;
  const concurrencyOf = (q: string): number => (typeof opts.concurrency === 'number' ? opts.concurrency : opts.concurrency?.[q]) ?? 10;

  const workers: TaskWorker[] = queues.map((q) => {
    const w = new Worker(
      q,
      processor,
      {
        connection,
        prefix,
        concurrency: concurrencyOf(q),
        lockDuration: opts.lockDurationMs ?? 30_000,
        stalledInterval: opts.stalledIntervalMs ?? 15_000,
        maxStalledCount: opts.maxStalledCount ?? 3,
        settings: { backoffStrategy: backoffStrategyFor(system) },
        name: id,
      },
      factory,
    );
    w.on('completed', () => void counts.processed++);
    w.on('failed', () => void counts.failed++);
    w.on('error', (err) => system.reportError(err, { queue: q, worker: id }));
    return w;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  // Cross-process terminate: a revoked marker in the store aborts the matching running job here.
  const revokePoll = setInterval(() => {
    system.results.anyRevocations().then(
      (any) => (revocationsExist = any),
      () => undefined,
    );
    if (active.size === 0) return;
    const ids = [...active.keys()];
    system.results.revocations(ids).then(
      (modes) =>
        modes.forEach((mode, i) => {
          const job = active.get(ids[i] ?? '');
          if (mode === 'terminate' && job && !job.controller.signal.aborted) job.controller.abort(new TaskRevokedError(job.id));
        }),
      (err: unknown) => system.logger.warn({ err }, 'revocation poll failed'),
    );
  }, opts.revokePollMs ?? 500);
  revokePoll.unref();

  const info = (): WorkerInfo => ({
    id,
    host: workerHost,
    pid: process.pid,
    queues: [...queues],
    concurrency: Object.fromEntries(queues.map((q) => [q, concurrencyOf(q)])),
    startedAt,
    lastSeen: Date.now(),
    ...counts,
    active: [...active.values()].map((j) => ({ id: j.id, task: j.task, queue: j.queue, startedAt: j.startedAt })),
  });
  const startedAt = Date.now();
  const registry = new WorkerRegistry(system.backend.store);
  const heartbeatMs = opts.heartbeatMs ?? 5_000;
  await registry.beat(info(), heartbeatMs * 3);
  const heartbeat = setInterval(() => {
    registry.beat(info(), heartbeatMs * 3).catch((err: unknown) => system.logger.warn({ err }, 'worker heartbeat failed'));
  }, heartbeatMs);
  heartbeat.unref();
  system.logger.info({ worker: id, queues }, 'task workers started');

  let closing: Promise<void> | undefined;
  return {
    id,
    queues,
    close(closeOpts = {}) {
      closing ??= (async () => {
        clearInterval(heartbeat);
        const graceful = Promise.all(workers.map((w) => w.close()));
        const timeoutMs = closeOpts.timeoutMs ?? 30_000;
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([graceful.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
        clearTimeout(timer);
        if (timedOut) {
          // Hand running jobs back to the queue now; a handler that ignores its signal is abandoned
          // (and if even the hand-back fails, stalled recovery re-queues the job when its lock expires).
          system.logger.warn({ worker: id, running: active.size }, 'shutdown deadline passed; re-queueing unfinished jobs');
          for (const job of active.values()) job.controller.abort(new WorkerShuttingDown('worker shutting down'));
          await Promise.race([graceful, new Promise((r) => setTimeout(r, 5_000).unref())]);
        }
        clearInterval(revokePoll);
        await registry.remove(id);
      })();
      return closing;
    },
  };
}
