// Built against bullmq 6.7.0 (package.json pins it exactly): IQueueBackend is new and may change
// between minor versions, so upgrading BullMQ means re-running test/tasks/backends/sqlite first.
export type { BackendIdentity } from './backend-base.ts';
import { serverNow } from './clock.ts';
import type {
  IQueueBackend,
  JobJson,
  JobProgress,
  JobsOptions,
  KeepJobs,
  MinimalJob,
  MoveToDelayedOpts,
  MoveToWaitingChildrenOpts,
  ParentKeyOpts,
  RepeatableOptions,
  RetryJobOpts,
  RetryOptions,
} from 'bullmq';
import { addJobTx, blockAllocator, type AddEntry } from './add.ts';
import { SqliteBackendQueries } from './backend-queries.ts';
import { addIndependentJobs, isIndependent } from './bulk.ts';
import { claimNext, invalidateGate, type NextJobTuple } from './claim.ts';
import { mapCodes } from './errors.ts';
import { emitEvent } from './events.ts';
import { finishJob, type Keep } from './finish.ts';
import * as get from './getters.ts';
import { ctxFor, releaseParentIfReady } from './parents.ts';
import { cleanJobs, drainQueue, obliterateQueue, removeJob, removeUnprocessedChildren } from './removal.ts';
import { Code, CodeError } from './rows.ts';
import * as sched from './schedulers.ts';
import { extendLock, moveStalledJobsToWait } from './stalled.ts';
import * as move from './transitions.ts';

/** BullMQ's IQueueBackend over SQLite; one instance per Queue/Worker/QueueEvents, all sharing one connection. */
export class SqliteQueueBackend extends SqliteBackendQueries implements IQueueBackend {
  forQueue(queueName: string, prefix?: string): IQueueBackend {
    return new SqliteQueueBackend(this.store, this.opts, {
      name: queueName,
      prefix: prefix ?? this.identity.prefix,
      pollIntervalMs: this.identity.pollIntervalMs,
    });
  }

  // ---- adding ----
  async addJob(job: JobJson, jobId: string, parentKeyOpts?: ParentKeyOpts): Promise<string> {
    const entry: AddEntry = { job, jobId };
    if (parentKeyOpts?.parentKey) entry.parentKey = parentKeyOpts.parentKey;
    if (parentKeyOpts?.addToWaitingChildren) entry.addToWaitingChildren = true;
    return mapCodes(() => this.tx(() => addJobTx(this.ctx, entry, Date.now())), {
      jobId,
      parentKey: entry.parentKey ?? job.parentKey ?? (job.parent ? `${job.parent.queueKey}:${job.parent.id}` : ''),
      command: 'addJob',
    });
  }

  async addJobs(entries: { job: JobJson; jobId: string; parentKeyOpts?: ParentKeyOpts }[]): Promise<string[]> {
    const now = Date.now();
    if (isIndependent(entries))
      return this.tx(() =>
        addIndependentJobs(
          this.ctx,
          entries.map((e) => e.job),
          now,
        ),
      );
    return mapCodes(
      () =>
        this.tx(() => {
          const alloc = blockAllocator(this.ctx, entries.filter((e) => !(e.jobId || e.job.id)).length, entries.length);
          return entries.map(({ job, jobId, parentKeyOpts }) =>
            addJobTx(
              this.ctx,
              {
                job,
                jobId,
                ...(parentKeyOpts?.parentKey ? { parentKey: parentKeyOpts.parentKey } : {}),
              },
              now,
              alloc,
            ),
          );
        }),
      { command: 'addBulk' },
    );
  }

  async addFlow(
    entries: { jobData: JobJson; jobId: string; parentKeyOpts: ParentKeyOpts; prefix: string; queueName: string }[],
  ): Promise<[Error | null, string | number][]> {
    const now = Date.now();
    try {
      const ids = await this.tx(() =>
        releaseFlowParents(
          entries,
          entries.map((entry) => {
            const ctx = ctxFor(this.ctx, `${entry.prefix}:${entry.queueName}`);
            const add: AddEntry = { job: entry.jobData, jobId: entry.jobId, deferParentRelease: true };
            if (entry.parentKeyOpts.parentKey) add.parentKey = entry.parentKeyOpts.parentKey;
            if (entry.parentKeyOpts.addToWaitingChildren) add.addToWaitingChildren = true;
            try {
              return addJobTx(ctx, add, now);
            } catch (error) {
              if (error instanceof CodeError && error.code === Code.ParentJobNotExist) return Code.ParentJobNotExist;
              throw error;
            }
          }),
          (queue, id) => releaseParentIfReady(this.ctx, queue, id, now),
        ),
      );
      return ids.map((id) => [null, id]);
    } catch (error) {
      return entries.map(() => [error as Error, 0]);
    }
  }

  async addJobScheduler(
    jobSchedulerId: string,
    nextMillis: number,
    templateData: string,
    templateOpts: JobsOptions,
    opts: RepeatableOptions,
    delayedJobOpts: JobsOptions,
    producerId?: string,
  ): Promise<[string, number]> {
    return mapCodes(
      () =>
        this.tx(() =>
          sched.addJobScheduler(
            this.ctx,
            jobSchedulerId,
            nextMillis,
            templateData,
            templateOpts,
            opts as sched.SchedulerOpts,
            delayedJobOpts as Record<string, unknown>,
            producerId,
            Date.now(),
          ),
        ),
      { command: 'addJobScheduler' },
    );
  }

  // ---- state transitions ----
  async moveToActive(token: string, name?: string): Promise<NextJobTuple> {
    this.ensureOpen();
    // Not durable: a claim lost to a power cut leaves the job in wait, to be claimed again (at least once).
    const result = await this.store.writeAfterPending(() => claimNext(this.ctx, token, name, Date.now()), false);
    this.touchClient();
    return result;
  }

  private async finish(
    job: MinimalJob,
    target: 'completed' | 'failed',
    value: string,
    keep: Keep,
    token: string,
    fetchNext: boolean,
    stacktrace?: string,
  ): Promise<{ result: NextJobTuple | undefined; finishedOn: number }> {
    const finishedOn = Date.now();
    const result = await mapCodes(
      () =>
        this.tx(() =>
          finishJob(this.ctx, {
            jobId: job.id!,
            token,
            target,
            value,
            stacktrace,
            keep: keep ?? (this.opts[target === 'completed' ? 'removeOnComplete' : 'removeOnFail'] as Keep),
            fetchNext: fetchNext && !this.closing,
            workerName: this.opts['name'] as string | undefined,
            now: finishedOn,
          }),
        ),
      { jobId: job.id!, command: 'moveToFinished', state: 'active' },
    );
    return { result, finishedOn };
  }

  async moveToCompleted<T = unknown, R = unknown, N extends string = string>(
    job: MinimalJob<T, R, N>,
    returnValue: R,
    removeOnComplete: boolean | number | KeepJobs,
    token: string,
    fetchNext: boolean,
  ): Promise<{ result: void | NextJobTuple; finishedOn: number }> {
    return this.finish(job as MinimalJob, 'completed', JSON.stringify(returnValue ?? null), removeOnComplete, token, fetchNext);
  }

  async moveToFailed<T = unknown, R = unknown, N extends string = string>(
    job: MinimalJob<T, R, N>,
    failedReason: string,
    removeOnFail: boolean | number | KeepJobs,
    token: string,
    fetchNext: boolean,
    fieldsToUpdate?: Record<string, unknown>,
  ): Promise<{ result: void | NextJobTuple; finishedOn: number }> {
    const stacktrace = typeof fieldsToUpdate?.['stacktrace'] === 'string' ? fieldsToUpdate['stacktrace'] : undefined;
    return this.finish(job as MinimalJob, 'failed', failedReason ?? '', removeOnFail, token, fetchNext, stacktrace);
  }

  async moveToDelayed(jobId: string, timestamp: number, delay: number, token?: string, opts?: MoveToDelayedOpts): Promise<void | NextJobTuple> {
    const fields = (opts?.fieldsToUpdate ?? {}) as move.FailureFields;
    return mapCodes(
      () =>
        this.tx(() => {
          move.moveToDelayed(this.ctx, jobId, timestamp + delay, delay, token, opts?.skipAttempt ?? false, fields);
          if (!opts?.fetchNext || this.closing || !token) return [];
          const next = claimNext(this.ctx, token, this.opts['name'] as string | undefined, Date.now());
          return next[0] ? next : [];
        }) as Promise<NextJobTuple>,
      { jobId, command: 'moveToDelayed', state: 'active' },
    );
  }

  async moveToWaitingChildren(jobId: string, token: string, opts?: MoveToWaitingChildrenOpts): Promise<boolean> {
    const child = opts?.child ? `${opts.child.queue}:${opts.child.id}` : undefined;
    return mapCodes(() => this.tx(() => move.moveToWaitingChildren(this.ctx, jobId, token, child)), {
      jobId,
      command: 'moveToWaitingChildren',
      state: 'active',
    });
  }

  async moveJobFromActiveToWait(jobId: string, token = '0'): Promise<number> {
    return mapCodes(() => this.tx(() => move.moveActiveToWait(this.ctx, jobId, token, serverNow())), {
      jobId,
      command: 'moveJobFromActiveToWait',
      state: 'active',
    });
  }

  async retryJob(jobId: string, lifo: boolean, token?: string, opts?: RetryJobOpts): Promise<void> {
    const fields = (opts?.fieldsToUpdate ?? {}) as move.FailureFields;
    await mapCodes(() => this.tx(() => move.retryJob(this.ctx, jobId, lifo, token, fields, Date.now())), { jobId, command: 'retryJob', state: 'active' });
  }

  async retryFinishedJob<T = unknown, R = unknown, N extends string = string>(
    job: MinimalJob<T, R, N>,
    state: 'failed' | 'completed',
    opts: RetryOptions = {},
  ): Promise<void> {
    const code = await this.tx(() =>
      move.reprocessJob(this.ctx, job.id!, state, job.opts?.lifo ?? false, opts.resetAttemptsMade ?? false, opts.resetAttemptsStarted ?? false),
    );
    if (code !== 1)
      mapCodes(
        () => {
          throw new CodeError(code);
        },
        { jobId: job.id!, command: 'reprocessJob', state },
      );
  }

  async promote(jobId: string): Promise<void> {
    await mapCodes(() => this.tx(() => move.promote(this.ctx, jobId)), { jobId, command: 'promote', state: 'delayed' });
  }

  async moveStalledJobsToWait(): Promise<string[]> {
    return this.tx(() => moveStalledJobsToWait(this.ctx, serverNow()));
  }

  async retryFinishedJobs(state: 'completed' | 'failed' = 'failed', count = 1000, timestamp = Date.now()): Promise<number> {
    return this.tx(() => move.retryFinishedJobs(this.ctx, state, count, timestamp));
  }

  async promoteJobs(count = 1000): Promise<number> {
    return this.tx(() => move.promoteJobs(this.ctx, count));
  }

  async pause(pause: boolean): Promise<void> {
    invalidateGate(this.ctx);
    await this.tx(() => {
      if (pause) this.store.run(`INSERT OR REPLACE INTO meta (queue, field, value) VALUES (?, 'paused', '1')`, this.qualifiedName);
      else this.store.run(`DELETE FROM meta WHERE queue = ? AND field = 'paused'`, this.qualifiedName);
      emitEvent(this.ctx, pause ? 'paused' : 'resumed');
    });
    if (!pause) this.store.bus.emit(`job:${this.qualifiedName}`);
  }

  async drain(delayed: boolean): Promise<void> {
    await this.tx(() => drainQueue(this.ctx, delayed, Date.now()));
  }

  async cleanJobsByState(state: string, timestamp: number, limit = 0): Promise<string[]> {
    return this.tx(() => cleanJobs(this.ctx, state, timestamp, limit, Date.now()));
  }

  async obliterate(opts: { force: boolean; count: number }): Promise<number> {
    const cursor = await this.tx(() => obliterateQueue(this.ctx, opts.force));
    if (cursor === -1) throw new Error('Cannot obliterate non-paused queue');
    if (cursor === -2) throw new Error('Cannot obliterate queue with active jobs');
    return cursor;
  }

  /** Job data and state are one row written in one transaction, so orphaned job data cannot exist. */
  async removeOrphanedJobs(_count?: number, _limit?: number): Promise<number> {
    return 0;
  }

  async extendLock(jobId: string, token: string, duration: number): Promise<number> {
    return this.tx(() => extendLock(this.ctx, jobId, token, duration, serverNow()));
  }

  async extendLocks(jobIds: string[], tokens: string[], duration: number): Promise<string[]> {
    const now = serverNow();
    return this.tx(() => jobIds.filter((id, i) => extendLock(this.ctx, id, tokens[i] ?? '', duration, now) === 0));
  }

  // ---- job mutations ----
  async updateData<T = unknown, R = unknown, N extends string = string>(job: MinimalJob<T, R, N>, data: T): Promise<void> {
    const changed = await this.tx(() =>
      this.store.run('UPDATE jobs SET data = ? WHERE queue = ? AND id = ?', JSON.stringify(data ?? {}), this.qualifiedName, job.id!),
    );
    if (changed === 0)
      mapCodes(
        () => {
          throw new CodeError(Code.JobNotExist);
        },
        { jobId: job.id!, command: 'updateData' },
      );
  }

  async updateProgress(jobId: string, progress: JobProgress): Promise<void> {
    const text = JSON.stringify(progress ?? null);
    const changed = await this.tx(() => {
      const n = this.store.run('UPDATE jobs SET progress = ? WHERE queue = ? AND id = ?', text, this.qualifiedName, jobId);
      if (n > 0) emitEvent(this.ctx, 'progress', { jobId, data: text });
      return n;
    });
    if (changed === 0)
      mapCodes(
        () => {
          throw new CodeError(Code.JobNotExist);
        },
        { jobId, command: 'updateProgress' },
      );
  }

  async addLog(jobId: string, logRow: string, keepLogs?: number): Promise<number> {
    return mapCodes(
      () =>
        this.tx(() => {
          if (!get.jobRow(this.ctx, jobId)) throw new CodeError(Code.JobNotExist);
          return get.addLog(this.ctx, jobId, logRow, keepLogs);
        }),
      { jobId, command: 'addLog' },
    );
  }

  async clearLogs(jobId: string, keepLogs?: number): Promise<void> {
    await this.tx(() => get.clearLogs(this.ctx, jobId, keepLogs));
  }

  async changeDelay(jobId: string, delay: number): Promise<void> {
    await mapCodes(() => this.tx(() => move.changeDelay(this.ctx, jobId, delay, Date.now())), { jobId, command: 'changeDelay', state: 'delayed' });
  }

  async changePriority(jobId: string, priority = 0, lifo = false): Promise<void> {
    await mapCodes(() => this.tx(() => move.changePriority(this.ctx, jobId, priority, lifo)), { jobId, command: 'changePriority' });
  }

  async remove(jobId: string, removeChildren: boolean): Promise<number> {
    return mapCodes(() => this.tx(() => removeJob(this.ctx, jobId, removeChildren, Date.now())), { jobId, command: 'remove' });
  }

  async removeUnprocessedChildren(jobId: string): Promise<void> {
    await this.tx(() => removeUnprocessedChildren(this.ctx, jobId, Date.now()));
  }

  async removeChildDependency(jobId: string, parentKey: string): Promise<boolean> {
    return mapCodes(
      () =>
        this.tx(() => {
          const row = get.jobRow(this.ctx, jobId);
          if (!row) throw new CodeError(Code.JobNotExist);
          const parent = this.parseNodeKey(parentKey);
          const parentQueue = `${parent.prefix}:${parent.queueName}`;
          if (!this.store.one('SELECT 1 AS x FROM jobs WHERE queue = ? AND id = ?', parentQueue, parent.id)) {
            throw new CodeError(Code.ParentJobNotExist);
          }
          const removed = this.store.run(
            `DELETE FROM deps WHERE parent_queue = ? AND parent_id = ? AND child_key = ? AND status = 'pending'`,
            parentQueue,
            parent.id,
            `${this.qualifiedName}:${jobId}`,
          );
          if (removed === 0) return false;
          this.store.run('UPDATE jobs SET parent = NULL, parent_key = NULL WHERE queue = ? AND id = ?', this.qualifiedName, jobId);
          this.store.run('UPDATE jobs SET pending_deps = MAX(pending_deps - 1, 0) WHERE queue = ? AND id = ?', parentQueue, parent.id);
          releaseParentIfReady(this.ctx, parentQueue, parent.id, Date.now());
          return true;
        }),
      { jobId, parentKey, command: 'removeChildDependency' },
    );
  }

  async removeDeduplicationKey(deduplicationId: string, jobId: string): Promise<number> {
    // An expired slot is gone on Redis: it neither matches nor counts.
    return this.tx(() =>
      this.store.run(
        `DELETE FROM dedup WHERE queue = ? AND dedup_id = ? AND job_id = ?
      AND (expire_at IS NULL OR expire_at > ?)`,
        this.qualifiedName,
        deduplicationId,
        jobId,
        serverNow(),
      ),
    );
  }

  async deleteDeduplicationKey(deduplicationId: string): Promise<number> {
    return this.tx(() => {
      const live = this.store.run(
        'DELETE FROM dedup WHERE queue = ? AND dedup_id = ? AND (expire_at IS NULL OR expire_at > ?)',
        this.qualifiedName,
        deduplicationId,
        serverNow(),
      );
      this.store.run('DELETE FROM dedup WHERE queue = ? AND dedup_id = ?', this.qualifiedName, deduplicationId);
      return live;
    });
  }

  // ---- job schedulers ----
  async updateJobSchedulerNextMillis(
    jobSchedulerId: string,
    nextMillis: number,
    templateData: string,
    delayedJobOpts: JobsOptions,
    producerId?: string,
  ): Promise<string | null> {
    return this.tx(() =>
      sched.updateJobSchedulerNextMillis(this.ctx, jobSchedulerId, nextMillis, templateData, delayedJobOpts as Record<string, unknown>, producerId, Date.now()),
    );
  }

  /** Redis's script answers 0 when it removed the scheduler and 1 when there was none; Queue negates it. */
  async removeJobScheduler(jobSchedulerId: string): Promise<number> {
    return (await this.tx(() => sched.removeJobScheduler(this.ctx, jobSchedulerId))) === 1 ? 0 : 1;
  }

  async getJobScheduler(id: string): Promise<[string[] | null, string | null]> {
    const found = await this.reply(() => sched.schedulerHash(this.ctx, id));
    return found ? [Object.entries(found.hash).flat(), found.next] : [null, null];
  }

  async isJobScheduler(id: string): Promise<boolean> {
    return this.reply(() => sched.schedulerHash(this.ctx, id) !== undefined);
  }

  async getJobSchedulerData(key: string): Promise<Record<string, string>> {
    return this.reply(() => sched.schedulerHash(this.ctx, key)?.hash ?? {});
  }

  async getJobSchedulersRange(start: number, end: number, asc: boolean): Promise<string[]> {
    return this.reply(() => sched.schedulersRange(this.ctx, start, end, asc));
  }

  async getJobSchedulersCount(): Promise<number> {
    return this.reply(() => this.store.one<{ n: number }>('SELECT COUNT(*) AS n FROM schedulers WHERE queue = ?', this.qualifiedName)?.n ?? 0);
  }
}

/** Children that already existed and had completed may leave a flow's parent with nothing to wait for. */
function releaseFlowParents<T>(
  entries: { parentKeyOpts: ParentKeyOpts; prefix: string; queueName: string }[],
  ids: T[],
  release: (queue: string, id: string) => void,
): T[] {
  ids.forEach((id, i) => {
    const entry = entries[i]!;
    if (entry.parentKeyOpts.addToWaitingChildren && typeof id === 'string') release(`${entry.prefix}:${entry.queueName}`, id);
  });
  return ids;
}
