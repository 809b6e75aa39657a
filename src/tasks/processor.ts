import { hostname } from 'node:os';
import { contextFrom, inSpan, SpanKind } from '../telemetry/index.ts';
import { DelayedError, UnrecoverableError, WaitingError } from 'bullmq';
import type { TaskContext, TaskDefinition } from './define.ts';
import { NonRetryableError, TaskArgumentsError, TaskRevokedError, TimeLimitExceededError, UnknownTaskError } from './errors.ts';
import type { TaskJob } from './queues.ts';
import { toRemoteError, type TaskEnvelope, type TaskResultRecord } from './results.ts';
import { RemoteTaskError, runInThread } from './sandbox.ts';
import type { TaskSystem } from './system.ts';
import { toProgress, type ProgressInput } from './progress.ts';

/** Abort reason used when a worker's shutdown deadline passes: the job goes back to the queue. */
export class WorkerShuttingDown extends Error {
  override name = 'WorkerShuttingDown';
}

/** Jobs this process is running, so revoke({ terminate }) and shutdown can reach them. */
export interface ActiveJob {
  id: string;
  task: string;
  queue: string;
  startedAt: number;
  controller: AbortController;
}

export type ActiveJobs = Map<string, ActiveJob>;

/** Builds the function each BullMQ Worker calls per job: Celery semantics around a handler. */
/** `checkRevocations()` is false while no revocation exists anywhere, sparing a read per job. */
export function createProcessor(system: TaskSystem, active: ActiveJobs, workerId: string, checkRevocations: () => boolean) {
  return async function process(job: TaskJob, token?: string): Promise<unknown> {
    const env = job.data;
    const id = job.id ?? '';
    const def = system.definition(env.task);
    if (!def) throw new UnrecoverableError(new UnknownTaskError(env.task).message);
    const ttl = system.resultTtl(def.name);
    const attempt = job.attemptsMade + 1;
    const startedAt = Date.now();
    const finish = (r: Omit<TaskResultRecord, 'id' | 'task' | 'finishedAt' | 'worker' | 'startedAt'>): Promise<void> =>
      system.results.put({ id, task: def.name, startedAt, finishedAt: Date.now(), worker: workerId, ...r }, ttl);

    if (checkRevocations() && (await system.results.revocation(id))) {
      await finish({ state: 'REVOKED', attempts: [] });
      system.metrics.finished(job.queueName, def.name, 'revoked', 0);
      return undefined;
    }
    if (env.expiresAt !== undefined && startedAt > env.expiresAt) {
      await finish({ state: 'REVOKED', attempts: [], error: { name: 'TaskExpired', message: `expired at ${new Date(env.expiresAt).toISOString()}` } });
      system.metrics.finished(job.queueName, def.name, 'expired', 0);
      return undefined;
    }
    const rate = def.options.rateLimit;
    if (rate) {
      const window = Math.floor(startedAt / rate.perMs);
      const used = await system.backend.store.increment(`rate:${def.name}:${window}`, rate.perMs * 2);
      if (used > rate.max) {
        // Over the task's global budget: park the job until the next window, without using an attempt.
        await job.moveToDelayed((window + 1) * rate.perMs + Math.floor(Math.random() * 50), token);
        throw new DelayedError();
      }
    }
    system.metrics.started(job.queueName, def.name, startedAt - (job.timestamp + (job.opts.delay ?? 0)));

    const controller = new AbortController();
    active.set(id, { id, task: def.name, queue: job.queueName, startedAt, controller });
    try {
      const args = def.validate(await resolveArgs(system, env));
      // A progress write that fails (job removed meanwhile) must not fail the run it describes.
      const progress = async (value: ProgressInput, message?: string): Promise<void> => {
        await job.updateProgress({ ...toProgress(value, message) }).catch(() => undefined);
      };
      const result = await inSpan(
        `run ${def.name}`,
        {
          kind: SpanKind.CONSUMER,
          parent: env.trace ? contextFrom(env.trace) : undefined,
          attributes: { 'messaging.system': 'ai-stack', 'messaging.destination.name': job.queueName, 'ai_stack.task.id': id, 'ai_stack.task.attempt': attempt },
        },
        () => runHandler(def, args, { id, name: def.name, attempt, startedAt, signal: controller.signal, progress }, controller),
      );
      // The completed job itself is the success record (see queues.ts): nothing to write here.
      system.metrics.finished(job.queueName, def.name, 'success', Date.now() - startedAt);
      return result;
    } catch (err) {
      if (controller.signal.reason instanceof WorkerShuttingDown) {
        // Not the task's fault: hand the job back unchanged (no attempt used) for another worker.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const error = toRemoteError(err);
      const attempts = await system.results.addAttempt(id, { attempt, startedAt, finishedAt: Date.now(), error }, ttl);
      const revoked = err instanceof TaskRevokedError;
      const final = revoked || !isRetryable(def, err) || attempt >= (job.opts.attempts ?? 1);
      if (final) await finish({ state: revoked ? 'REVOKED' : 'FAILURE', error, attempts });
      system.metrics.finished(job.queueName, def.name, revoked ? 'revoked' : final ? 'failure' : 'retry', Date.now() - startedAt);
      if (final && !(attempt >= (job.opts.attempts ?? 1))) {
        const stop = new UnrecoverableError(error.message);
        stop.stack = error.stack;
        throw stop;
      }
      throw err;
    } finally {
      active.delete(id);
    }
  };
}

async function resolveArgs(system: TaskSystem, env: TaskEnvelope): Promise<unknown> {
  if (!env.from) return env.args;
  const records = await Promise.all(env.from.ids.map((id) => system.lookup(id)));
  const values = records.map((r, i) => {
    if (r?.state !== 'SUCCESS') throw new NonRetryableError(`predecessor ${env.from?.ids[i]} has no result (${r?.state ?? 'missing'})`);
    return r.result;
  });
  return env.from.mode === 'one' ? values[0] : values;
}

function runHandler(def: TaskDefinition, args: unknown, ctx: TaskContext, controller: AbortController): Promise<unknown> {
  const { soft, hard } = def.options.timeLimit ?? {};
  if (hard !== undefined && def.options.module !== undefined) {
    return runInThread({
      module: def.options.module,
      task: def.name,
      args,
      id: ctx.id,
      attempt: ctx.attempt,
      startedAt: ctx.startedAt,
      softMs: soft,
      hardMs: hard,
      signal: controller.signal,
      onProgress: (p) => void ctx.progress(p.value, p.message),
    });
  }
  const softTimer = soft === undefined ? undefined : setTimeout(() => controller.abort(new TimeLimitExceededError('soft', soft)), soft);
  // Terminate (revoke) stops waiting for an in-process handler; the soft limit only signals it.
  const terminated = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => {
      const reason: unknown = controller.signal.reason;
      if (reason instanceof TaskRevokedError || reason instanceof WorkerShuttingDown) reject(reason);
    });
  });
  terminated.catch(() => undefined);
  return Promise.race([Promise.resolve().then(() => def.handler(args, ctx)), terminated]).finally(() => clearTimeout(softTimer));
}

function isRetryable(def: TaskDefinition, err: unknown): boolean {
  if (err instanceof NonRetryableError || err instanceof TaskArgumentsError || err instanceof UnrecoverableError) return false;
  if (err instanceof RemoteTaskError && err.nonRetryable) return false;
  const only = def.options.retries?.autoretryFor;
  if (!only) return true;
  return only.some((cls) => err instanceof cls || (err instanceof Error && err.name === cls.name));
}

export const workerHost = hostname();
