// Built against bullmq 6.7.0 (package.json pins it exactly): IQueueBackend is new and may change
// between minor versions, so upgrading BullMQ means re-running test/tasks/backends/sqlite first.
import { EventEmitter } from 'node:events';
import type {
  DependenciesOpts, IQueueBackend, JobJson, JobProgress, JobState, JobType, JobsOptions, KeepJobs,
  MinimalJob, MoveToDelayedOpts, MoveToWaitingChildrenOpts, ParentKeyOpts, QueueBaseOptions,
  RepeatableOptions, RetryJobOpts, RetryOptions, StreamReadRaw,
} from 'bullmq';
import { addJobTx, blockAllocator, type AddEntry } from './add.ts';
import { waitForSignal } from './blocking.ts';
import { addIndependentJobs, isIndependent } from './bulk.ts';
import { claimNext, invalidateGate, nextDelayedAt, promoteDueJobs, readFlags, rateLimitDelay, type NextJobTuple } from './claim.ts';
import { settingsFrom, type QueueCtx } from './context.ts';
import { mapCodes } from './errors.ts';
import { emitEvent, eventsAfter, lastEventId, trimEventLog } from './events.ts';
import { finishJob, type Keep } from './finish.ts';
import * as get from './getters.ts';
import { ctxFor, releaseParentIfReady } from './parents.ts';
import { cleanJobs, drainQueue, obliterateQueue, removeJob, removeUnprocessedChildren } from './removal.ts';
import { Code, CodeError, parseJson, rowToJobJson, type JobRow } from './rows.ts';
import * as sched from './schedulers.ts';
import { extendLock, moveStalledJobsToWait } from './stalled.ts';
import type { SqliteStore } from './store.ts';
import * as move from './transitions.ts';

export interface BackendIdentity {
  name: string;
  prefix: string;
  /** Name under which this instance shows in `getWorkers()` / `getQueueEvents()`, if any. */
  clientName?: string;
  pollIntervalMs: number;
}

const CLOSED = 'Connection is closed.';
/** Clients not seen for this long are gone (their process died without closing). */
const CLIENT_TTL_MS = 30_000;

/** BullMQ's IQueueBackend over SQLite; one instance per Queue/Worker/QueueEvents, all sharing one connection. */
export class SqliteQueueBackend extends EventEmitter implements IQueueBackend {
  readonly qualifiedName: string;
  readonly keys = {};
  readonly minimumBlockTimeout = 0.001;
  readonly maximumBlockTimeout = 10;
  closing: Promise<void> | undefined;
  private readonly ctx: QueueCtx;
  private readonly identity: BackendIdentity;
  private readonly opts: QueueBaseOptions & Record<string, unknown>;
  private cancelWait: (() => void) | undefined;
  private cancelEventWait: (() => void) | undefined;
  private blockingDisconnected = false;
  private lastSeenWrite = 0;
  private startCursor: number | undefined;

  constructor(store: SqliteStore, opts: QueueBaseOptions, identity: BackendIdentity) {
    super();
    this.identity = identity;
    this.opts = opts as QueueBaseOptions & Record<string, unknown>;
    this.qualifiedName = `${identity.prefix}:${identity.name}`;
    this.ctx = { store, queue: this.qualifiedName, settings: settingsFrom(this.opts) };
  }

  private get store(): SqliteStore {
    return this.ctx.store;
  }

  /** One write, group-committed with the others of this event-loop turn; fails like a closed Redis connection once the file is closed. */
  private tx<T>(fn: () => T): Promise<T> {
    if (!this.store.db.isOpen) return Promise.reject(new Error(CLOSED));
    return this.store.write(fn);
  }

  private read<T>(fn: () => T): T {
    if (!this.store.db.isOpen) throw new Error(CLOSED);
    return fn();
  }

  // ---- lifecycle and identity ----
  async waitUntilReady(): Promise<void> {
    if (this.identity.clientName) this.touchClient(true);
  }

  async close(_force?: boolean): Promise<void> {
    this.closing ??= (async () => {
      this.cancelWait?.();
      this.cancelEventWait?.();
      if (this.identity.clientName && this.store.db.isOpen) {
        this.store.run('DELETE FROM clients WHERE owner = ? AND name = ?', this.store.owner, this.identity.clientName);
      }
      this.emit('close');
    })();
    return this.closing;
  }

  async disconnect(): Promise<void> {
    this.cancelWait?.();
    this.cancelEventWait?.();
  }

  async setName(name: string): Promise<void> {
    this.identity.clientName = name;
    this.touchClient(true);
  }

  private touchClient(force = false): void {
    const name = this.identity.clientName;
    const now = Date.now();
    if (!name || !this.store.db.isOpen || (!force && now - this.lastSeenWrite < CLIENT_TTL_MS / 3)) return;
    this.lastSeenWrite = now;
    this.store.run('INSERT OR REPLACE INTO clients (name, queue, owner, seen_at) VALUES (?, ?, ?, ?)',
      name, this.qualifiedName, this.store.owner, now);
  }

  forQueue(queueName: string, prefix?: string): IQueueBackend {
    return new SqliteQueueBackend(this.store, this.opts, {
      name: queueName, prefix: prefix ?? this.identity.prefix, pollIntervalMs: this.identity.pollIntervalMs,
    });
  }

  toKey(type: string): string {
    return `${this.qualifiedName}:${type}`;
  }

  parseNodeKey(key: string): { prefix: string; queueName: string; id: string } {
    const last = key.lastIndexOf(':');
    const before = key.lastIndexOf(':', last - 1);
    return { prefix: key.slice(0, Math.max(before, 0)), queueName: key.slice(before + 1, last), id: key.slice(last + 1) };
  }

  clientName(suffix = ''): string {
    return `${this.qualifiedName}${suffix}`;
  }

  // ---- adding ----
  async addJob(job: JobJson, jobId: string, parentKeyOpts?: ParentKeyOpts): Promise<string> {
    const entry: AddEntry = { job, jobId };
    if (parentKeyOpts?.parentKey) entry.parentKey = parentKeyOpts.parentKey;
    if (parentKeyOpts?.addToWaitingChildren) entry.addToWaitingChildren = true;
    return mapCodes(() => this.tx(() => addJobTx(this.ctx, entry, Date.now())),
      { jobId, parentKey: entry.parentKey ?? job.parentKey ?? '', command: 'addJob' });
  }

  async addJobs(entries: { job: JobJson; jobId: string; parentKeyOpts?: ParentKeyOpts }[]): Promise<string[]> {
    const now = Date.now();
    if (isIndependent(entries)) return this.tx(() => addIndependentJobs(this.ctx, entries.map((e) => e.job), now));
    return mapCodes(() => this.tx(() => {
      const alloc = blockAllocator(this.ctx, entries.filter((e) => !(e.jobId || e.job.id)).length, entries.length);
      return entries.map(({ job, jobId, parentKeyOpts }) => addJobTx(this.ctx, {
        job, jobId, ...(parentKeyOpts?.parentKey ? { parentKey: parentKeyOpts.parentKey } : {}),
      }, now, alloc));
    }), { command: 'addBulk' });
  }

  async addFlow(entries: { jobData: JobJson; jobId: string; parentKeyOpts: ParentKeyOpts; prefix: string; queueName: string }[]): Promise<[Error | null, string | number][]> {
    const now = Date.now();
    try {
      const ids = await this.tx(() => entries.map((entry) => {
        const ctx = ctxFor(this.ctx, `${entry.prefix}:${entry.queueName}`);
        const add: AddEntry = { job: entry.jobData, jobId: entry.jobId };
        if (entry.parentKeyOpts.parentKey) add.parentKey = entry.parentKeyOpts.parentKey;
        if (entry.parentKeyOpts.addToWaitingChildren) add.addToWaitingChildren = true;
        try {
          return addJobTx(ctx, add, now);
        } catch (error) {
          if (error instanceof CodeError && error.code === Code.ParentJobNotExist) return Code.ParentJobNotExist;
          throw error;
        }
      }));
      return ids.map((id) => [null, id]);
    } catch (error) {
      return entries.map(() => [error as Error, 0]);
    }
  }

  async addJobScheduler(
    jobSchedulerId: string, nextMillis: number, templateData: string, templateOpts: JobsOptions, opts: RepeatableOptions,
    delayedJobOpts: JobsOptions, producerId?: string,
  ): Promise<[string, number]> {
    return mapCodes(() => this.tx(() => sched.addJobScheduler(
      this.ctx, jobSchedulerId, nextMillis, templateData, templateOpts, opts as sched.SchedulerOpts,
      delayedJobOpts as Record<string, unknown>, producerId, Date.now(),
    )), { command: 'addJobScheduler' });
  }

  // ---- state transitions ----
  async moveToActive(token: string, name?: string): Promise<NextJobTuple> {
    const result = await this.tx(() => claimNext(this.ctx, token, name, Date.now()));
    this.touchClient();
    return result;
  }

  private async finish(job: MinimalJob, target: 'completed' | 'failed', value: string, keep: Keep, token: string,
    fetchNext: boolean, stacktrace?: string): Promise<{ result: NextJobTuple | undefined; finishedOn: number }> {
    const finishedOn = Date.now();
    const result = await mapCodes(() => this.tx(() => finishJob(this.ctx, {
      jobId: job.id!, token, target, value, stacktrace, keep: keep ?? (this.opts[target === 'completed' ? 'removeOnComplete' : 'removeOnFail'] as Keep),
      fetchNext: fetchNext && !this.closing, workerName: this.opts['name'] as string | undefined, now: finishedOn,
    })), { jobId: job.id!, command: 'moveToFinished', state: 'active' });
    return { result, finishedOn };
  }

  async moveToCompleted<T = unknown, R = unknown, N extends string = string>(
    job: MinimalJob<T, R, N>, returnValue: R, removeOnComplete: boolean | number | KeepJobs, token: string, fetchNext: boolean,
  ): Promise<{ result: void | NextJobTuple; finishedOn: number }> {
    return this.finish(job as MinimalJob, 'completed', JSON.stringify(returnValue ?? null), removeOnComplete, token, fetchNext);
  }

  async moveToFailed<T = unknown, R = unknown, N extends string = string>(
    job: MinimalJob<T, R, N>, failedReason: string, removeOnFail: boolean | number | KeepJobs, token: string,
    fetchNext: boolean, fieldsToUpdate?: Record<string, unknown>,
  ): Promise<{ result: void | NextJobTuple; finishedOn: number }> {
    const stacktrace = typeof fieldsToUpdate?.['stacktrace'] === 'string' ? fieldsToUpdate['stacktrace'] : undefined;
    return this.finish(job as MinimalJob, 'failed', failedReason ?? '', removeOnFail, token, fetchNext, stacktrace);
  }

  async moveToDelayed(jobId: string, timestamp: number, delay: number, token?: string, opts?: MoveToDelayedOpts): Promise<void | NextJobTuple> {
    const fields = (opts?.fieldsToUpdate ?? {}) as move.FailureFields;
    return mapCodes(() => this.tx(() => {
      move.moveToDelayed(this.ctx, jobId, timestamp + delay, delay, token, opts?.skipAttempt ?? false, fields);
      if (!opts?.fetchNext || this.closing || !token) return [];
      const next = claimNext(this.ctx, token, this.opts['name'] as string | undefined, Date.now());
      return next[0] ? next : [];
    }) as Promise<NextJobTuple>, { jobId, command: 'moveToDelayed', state: 'active' });
  }

  async moveToWaitingChildren(jobId: string, token: string, opts?: MoveToWaitingChildrenOpts): Promise<boolean> {
    const child = opts?.child ? `${opts.child.queue}:${opts.child.id}` : undefined;
    return mapCodes(() => this.tx(() => move.moveToWaitingChildren(this.ctx, jobId, token, child)),
      { jobId, command: 'moveToWaitingChildren', state: 'active' });
  }

  async moveJobFromActiveToWait(jobId: string, token = '0'): Promise<number> {
    return mapCodes(() => this.tx(() => move.moveActiveToWait(this.ctx, jobId, token, Date.now())),
      { jobId, command: 'moveJobFromActiveToWait', state: 'active' });
  }

  async retryJob(jobId: string, lifo: boolean, token?: string, opts?: RetryJobOpts): Promise<void> {
    const fields = (opts?.fieldsToUpdate ?? {}) as move.FailureFields;
    await mapCodes(() => this.tx(() => move.retryJob(this.ctx, jobId, lifo, token, fields)), { jobId, command: 'retryJob', state: 'active' });
  }

  async retryFinishedJob<T = unknown, R = unknown, N extends string = string>(
    job: MinimalJob<T, R, N>, state: 'failed' | 'completed', opts: RetryOptions = {},
  ): Promise<void> {
    const code = await this.tx(() => move.reprocessJob(this.ctx, job.id!, state, job.opts?.lifo ?? false,
      opts.resetAttemptsMade ?? false, opts.resetAttemptsStarted ?? false));
    if (code !== 1) mapCodes(() => { throw new CodeError(code); }, { jobId: job.id!, command: 'reprocessJob', state });
  }

  async promote(jobId: string): Promise<void> {
    await mapCodes(() => this.tx(() => move.promote(this.ctx, jobId)), { jobId, command: 'promote', state: 'delayed' });
  }

  async moveStalledJobsToWait(): Promise<string[]> {
    return this.tx(() => moveStalledJobsToWait(this.ctx, Date.now()));
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
    return this.tx(() => extendLock(this.ctx, jobId, token, duration, Date.now()));
  }

  async extendLocks(jobIds: string[], tokens: string[], duration: number): Promise<string[]> {
    const now = Date.now();
    return this.tx(() => jobIds.filter((id, i) => extendLock(this.ctx, id, tokens[i] ?? '', duration, now) === 0));
  }

  // ---- job mutations ----
  async updateData<T = unknown, R = unknown, N extends string = string>(job: MinimalJob<T, R, N>, data: T): Promise<void> {
    const changed = await this.tx(() => this.store.run('UPDATE jobs SET data = ? WHERE queue = ? AND id = ?',
      JSON.stringify(data ?? {}), this.qualifiedName, job.id!));
    if (changed === 0) mapCodes(() => { throw new CodeError(Code.JobNotExist); }, { jobId: job.id!, command: 'updateData' });
  }

  async updateProgress(jobId: string, progress: JobProgress): Promise<void> {
    const text = JSON.stringify(progress ?? null);
    const changed = await this.tx(() => {
      const n = this.store.run('UPDATE jobs SET progress = ? WHERE queue = ? AND id = ?', text, this.qualifiedName, jobId);
      if (n > 0) emitEvent(this.ctx, 'progress', { jobId, data: text });
      return n;
    });
    if (changed === 0) mapCodes(() => { throw new CodeError(Code.JobNotExist); }, { jobId, command: 'updateProgress' });
  }

  async addLog(jobId: string, logRow: string, keepLogs?: number): Promise<number> {
    return mapCodes(() => this.tx(() => {
      if (!get.jobRow(this.ctx, jobId)) throw new CodeError(Code.JobNotExist);
      return get.addLog(this.ctx, jobId, logRow, keepLogs);
    }), { jobId, command: 'addLog' });
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
    return mapCodes(() => this.tx(() => {
      const row = get.jobRow(this.ctx, jobId);
      if (!row) throw new CodeError(Code.JobNotExist);
      const parent = this.parseNodeKey(parentKey);
      const parentQueue = `${parent.prefix}:${parent.queueName}`;
      if (!this.store.one('SELECT 1 AS x FROM jobs WHERE queue = ? AND id = ?', parentQueue, parent.id)) {
        throw new CodeError(Code.ParentJobNotExist);
      }
      const removed = this.store.run(
        `DELETE FROM deps WHERE parent_queue = ? AND parent_id = ? AND child_key = ? AND status = 'pending'`,
        parentQueue, parent.id, `${this.qualifiedName}:${jobId}`,
      );
      if (removed === 0) return false;
      this.store.run('UPDATE jobs SET parent = NULL, parent_key = NULL WHERE queue = ? AND id = ?', this.qualifiedName, jobId);
      this.store.run('UPDATE jobs SET pending_deps = MAX(pending_deps - 1, 0) WHERE queue = ? AND id = ?', parentQueue, parent.id);
      releaseParentIfReady(this.ctx, parentQueue, parent.id, Date.now());
      return true;
    }), { jobId, parentKey, command: 'removeChildDependency' });
  }

  async removeDeduplicationKey(deduplicationId: string, jobId: string): Promise<number> {
    return this.tx(() => this.store.run('DELETE FROM dedup WHERE queue = ? AND dedup_id = ? AND job_id = ?',
      this.qualifiedName, deduplicationId, jobId));
  }

  async deleteDeduplicationKey(deduplicationId: string): Promise<number> {
    return this.tx(() => this.store.run('DELETE FROM dedup WHERE queue = ? AND dedup_id = ?', this.qualifiedName, deduplicationId));
  }

  // ---- job schedulers ----
  async updateJobSchedulerNextMillis(jobSchedulerId: string, nextMillis: number, templateData: string,
    delayedJobOpts: JobsOptions, producerId?: string): Promise<string | null> {
    return this.tx(() => sched.updateJobSchedulerNextMillis(this.ctx, jobSchedulerId, nextMillis, templateData,
      delayedJobOpts as Record<string, unknown>, producerId, Date.now()));
  }

  /** Redis's script answers 0 when it removed the scheduler and 1 when there was none; Queue negates it. */
  async removeJobScheduler(jobSchedulerId: string): Promise<number> {
    return (await this.tx(() => sched.removeJobScheduler(this.ctx, jobSchedulerId))) === 1 ? 0 : 1;
  }

  async getJobScheduler(id: string): Promise<[string[] | null, string | null]> {
    const found = this.read(() => sched.schedulerHash(this.ctx, id));
    return found ? [Object.entries(found.hash).flat(), found.next] : [null, null];
  }

  async isJobScheduler(id: string): Promise<boolean> {
    return this.read(() => sched.schedulerHash(this.ctx, id) !== undefined);
  }

  async getJobSchedulerData(key: string): Promise<Record<string, string>> {
    return this.read(() => sched.schedulerHash(this.ctx, key)?.hash ?? {});
  }

  async getJobSchedulersRange(start: number, end: number, asc: boolean): Promise<string[]> {
    return this.read(() => sched.schedulersRange(this.ctx, start, end, asc));
  }

  async getJobSchedulersCount(): Promise<number> {
    return this.read(() => this.store.one<{ n: number }>('SELECT COUNT(*) AS n FROM schedulers WHERE queue = ?', this.qualifiedName)?.n ?? 0);
  }

  // ---- queries ----
  async getState(jobId: string): Promise<JobState | 'unknown'> {
    return this.read(() => get.getState(this.ctx, jobId));
  }

  async isFinished(jobId: string, returnValue?: boolean): Promise<number | [number, string]> {
    const row = this.read(() => get.jobRow(this.ctx, jobId));
    let status = 0;
    let value = '';
    if (!row) [status, value] = [-1, `Missing key for job ${this.toKey(jobId)}. isFinished`];
    else if (row.state === 'completed') [status, value] = [1, row.returnvalue ?? 'null'];
    else if (row.state === 'failed') [status, value] = [2, row.failed_reason ?? ''];
    return returnValue ? [status, value] : status;
  }

  async isMaxed(): Promise<boolean> {
    return this.read(() => {
      const { concurrency } = readFlags(this.ctx);
      if (concurrency === undefined) return false;
      const active = this.store.one<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE queue = ? AND state = 'active'`, this.qualifiedName);
      return (active?.n ?? 0) >= concurrency;
    });
  }

  async isJobInState(state: string, jobId: string): Promise<boolean> {
    return this.read(() => get.isJobInState(this.ctx, state, jobId));
  }

  async getJobData(jobId: string): Promise<JobJson | undefined> {
    const row = this.read(() => get.jobRow(this.ctx, jobId));
    return row ? rowToJobJson(row) : undefined;
  }

  async getDeduplicationJobId(deduplicationId: string): Promise<string | null> {
    const row = this.read(() => this.store.one<{ job_id: string; expire_at: number | null }>(
      'SELECT job_id, expire_at FROM dedup WHERE queue = ? AND dedup_id = ?', this.qualifiedName, deduplicationId));
    return row && (row.expire_at === null || row.expire_at > Date.now()) ? row.job_id : null;
  }

  async getJobLogs(jobId: string, start: number, end: number, asc: boolean): Promise<{ logs: string[]; count: number }> {
    return this.read(() => get.getJobLogs(this.ctx, jobId, start, end, asc));
  }

  async getRateLimitTtl(maxJobs?: number): Promise<number> {
    return this.read(() => {
      const now = Date.now();
      const window = this.store.one<{ points: number; expire_at: number }>('SELECT points, expire_at FROM rate_limit WHERE queue = ?', this.qualifiedName);
      if (!window || window.expire_at <= now) return -2;
      const flags = readFlags(this.ctx);
      if (maxJobs) return window.points >= maxJobs ? window.expire_at - now : 0;
      if (flags.max !== undefined || this.ctx.settings.limiter) return rateLimitDelay(this.ctx, flags, now);
      return window.expire_at - now;
    });
  }

  async getCounts(types: JobType[], delayedTimestamp?: number): Promise<number[]> {
    return this.read(() => get.getCounts(this.ctx, types, delayedTimestamp));
  }

  async getCountsPerPriority(priorities: number[]): Promise<number[]> {
    return this.read(() => get.getCountsPerPriority(this.ctx, priorities));
  }

  async getRanges(types: JobType[], start = 0, end = -1, asc = false): Promise<[string][]> {
    return this.read(() => types.map((type) => get.getRange(this.ctx, type, start, end, asc))) as unknown as [string][];
  }

  async getDependencyCounts(jobId: string, types: string[]): Promise<number[]> {
    return this.read(() => get.dependencyCounts(this.ctx, jobId, types));
  }

  async getDependencies(jobId: string, opts: DependenciesOpts): Promise<{
    nextFailedCursor?: number; failed?: string[]; nextIgnoredCursor?: number; ignored?: Record<string, unknown>;
    nextProcessedCursor?: number; processed?: Record<string, unknown>; nextUnprocessedCursor?: number; unprocessed?: string[];
  }> {
    return this.read(() => {
      const all = !opts.processed && !opts.unprocessed && !opts.ignored && !opts.failed;
      const page = (status: string, o?: { cursor?: number; count?: number }) => {
        const cursor = o?.cursor ?? 0;
        const count = o?.count ?? 20;
        const rows = all ? get.dependencies(this.ctx, jobId, status) : get.dependencies(this.ctx, jobId, status, cursor, count);
        return { rows, next: all || rows.length < count ? 0 : cursor + count };
      };
      const toMap = (rows: { child_key: string; value: string | null }[]) =>
        Object.fromEntries(rows.map((r) => [r.child_key, parseJson<unknown>(r.value, r.value)]));
      const result: Record<string, unknown> = {};
      if (all || opts.processed) {
        const p = page('processed', opts.processed);
        result['processed'] = toMap(p.rows);
        if (!all) result['nextProcessedCursor'] = p.next;
      }
      if (all || opts.unprocessed) {
        const p = page('pending', opts.unprocessed);
        result['unprocessed'] = p.rows.map((r) => r.child_key);
        if (!all) result['nextUnprocessedCursor'] = p.next;
      }
      if (all || opts.ignored) {
        const p = page('ignored', opts.ignored);
        result['ignored'] = Object.fromEntries(p.rows.map((r) => [r.child_key, r.value]));
        if (!all) result['nextIgnoredCursor'] = p.next;
      }
      if (all || opts.failed) {
        const p = page('failed', opts.failed);
        result['failed'] = p.rows.map((r) => r.child_key);
        if (!all) result['nextFailedCursor'] = p.next;
      }
      return result;
    });
  }

  async getProcessedChildrenValues(jobId: string): Promise<Record<string, string>> {
    return this.read(() => Object.fromEntries(get.dependencies(this.ctx, jobId, 'processed').map((r) => [r.child_key, r.value ?? 'null'])));
  }

  async getIgnoredChildrenFailures(jobId: string): Promise<Record<string, string>> {
    return this.read(() => Object.fromEntries(get.dependencies(this.ctx, jobId, 'ignored').map((r) => [r.child_key, r.value ?? ''])));
  }

  async getMetrics(type: 'completed' | 'failed', start = 0, end = -1): Promise<[string[], string[], number]> {
    return this.read(() => get.getMetrics(this.ctx, type, start, end));
  }

  async getClientList(): Promise<string[]> {
    const rows = this.read(() => this.store.all<{ name: string; owner: string; seen_at: number }>(
      'SELECT name, owner, seen_at FROM clients WHERE seen_at > ?', Date.now() - CLIENT_TTL_MS));
    return [rows.map((r, i) => `id=${i + 1} addr=${r.owner} age=0 idle=0 name=${r.name}`).join('\n')];
  }

  async paginate(key: string, opts: { start: number; end: number; fetchJobs?: boolean }): Promise<{
    cursor: string; items: { id: string; v?: unknown; err?: string }[]; total: number; jobs?: JobJson[];
  }> {
    const inner = key.startsWith(`${this.qualifiedName}:`) ? key.slice(this.qualifiedName.length + 1) : key;
    const processed = inner.endsWith(':processed');
    if (!processed && !inner.endsWith(':dependencies')) throw new Error(`paginate: unsupported key ${key}`);
    const parentId = inner.slice(0, inner.lastIndexOf(':'));
    const status = processed ? 'processed' : 'pending';
    return this.read(() => {
      const total = get.dependencies(this.ctx, parentId, status).length;
      const offset = Math.max(0, opts.start);
      const rows = get.dependencies(this.ctx, parentId, status, offset, opts.end < 0 ? -1 : opts.end - offset + 1);
      const items = rows.map((r) => (processed ? { id: r.child_key, v: parseJson<unknown>(r.value, r.value) } : { id: r.child_key }));
      const result: { cursor: string; items: typeof items; total: number; jobs?: JobJson[] } = { cursor: '0', items, total };
      if (opts.fetchJobs) {
        result.jobs = rows.flatMap((r) => {
          const child = this.parseNodeKey(r.child_key);
          const row = this.store.one<JobRow>('SELECT * FROM jobs WHERE queue = ? AND id = ?', `${child.prefix}:${child.queueName}`, child.id);
          return row ? [rowToJobJson(row)] : [];
        });
      }
      return result;
    });
  }

  // ---- queue metadata ----
  async setQueueMeta(values: Record<string, string | number>): Promise<number> {
    invalidateGate(this.ctx);
    const entries = Object.entries(values);
    await this.tx(() => {
      for (const [field, value] of entries) {
        this.store.run('INSERT OR REPLACE INTO meta (queue, field, value) VALUES (?, ?, ?)', this.qualifiedName, field, String(value));
      }
    });
    return entries.length;
  }

  async getQueueMetaField(field: string): Promise<string | null> {
    return (await this.getQueueMetaFields([field]))[0] ?? null;
  }

  async getQueueMetaFields(fields: string[]): Promise<(string | null)[]> {
    const meta = await this.getQueueMeta();
    return fields.map((field) => meta[field] ?? null);
  }

  async getQueueMeta(): Promise<Record<string, string>> {
    const rows = this.read(() => this.store.all<{ field: string; value: string }>('SELECT field, value FROM meta WHERE queue = ?', this.qualifiedName));
    return Object.fromEntries(rows.filter((r) => r.field !== 'stalled-check').map((r) => [r.field, r.value]));
  }

  async removeQueueMetaFields(fields: string[]): Promise<number> {
    invalidateGate(this.ctx);
    return this.tx(() => fields.reduce((n, field) =>
      n + this.store.run('DELETE FROM meta WHERE queue = ? AND field = ?', this.qualifiedName, field), 0));
  }

  async hasQueueMetaField(field: string): Promise<boolean> {
    return (await this.getQueueMetaField(field)) !== null;
  }

  async setRateLimit(expireTimeMs: number): Promise<void> {
    await this.tx(() => move.setRateLimit(this.ctx, expireTimeMs, Date.now()));
  }

  async removeRateLimitKey(): Promise<number> {
    const removed = await this.tx(() => this.store.run('DELETE FROM rate_limit WHERE queue = ?', this.qualifiedName));
    this.store.bus.emit(`job:${this.qualifiedName}`);
    return removed;
  }

  /** There is no deprecated priority key: priorities are a column. */
  async removeDeprecatedPriorityKey(): Promise<number> {
    return 0;
  }

  // ---- events ----
  async trimEvents(maxLength: number): Promise<number> {
    return this.tx(() => trimEventLog(this.ctx, maxLength));
  }

  async publishEvent(fields: Record<string, string | number>, maxEvents: number): Promise<string> {
    const { event, ...rest } = fields;
    return this.tx(() => {
      emitEvent(this.ctx, String(event), rest);
      if (maxEvents > 0) trimEventLog(this.ctx, maxEvents);
      return String(lastEventId(this.ctx));
    });
  }

  async readEvents(id: string, blockTimeout: number): Promise<StreamReadRaw> {
    if (this.closing || !this.store.db.isOpen) return null;
    // '$' means "events after the reader started": resolve it once so a quiet read loses nothing.
    this.startCursor ??= this.read(() => lastEventId(this.ctx));
    const cursor = id === '$' ? this.startCursor : Number(id) || 0;
    const deadline = Date.now() + Math.max(1, blockTimeout || 5000);
    let events = this.read(() => eventsAfter(this.ctx, cursor, 100));
    while (events.length === 0 && !this.closing && Date.now() < deadline) {
      const wait = Math.min(this.identity.pollIntervalMs, deadline - Date.now());
      await waitForSignal(this.store.bus, `event:${this.qualifiedName}`, wait, (cancel) => { this.cancelEventWait = cancel; });
      this.cancelEventWait = undefined;
      if (this.closing || !this.store.db.isOpen) return null;
      events = this.read(() => eventsAfter(this.ctx, cursor, 100));
    }
    if (events.length === 0) return null;
    return [['events', events.map((e) => [String(e.id), JSON.parse(e.fields) as string[]])]] as unknown as StreamReadRaw;
  }

  // ---- blocking wait for jobs ----
  async waitForJob(blockTimeout: number): Promise<{ member: string; score: number } | null> {
    if (this.closing || this.blockingDisconnected || !this.store.db.isOpen) return null;
    this.touchClient();
    const ready = async (): Promise<boolean> => this.store.db.isOpen && this.tx(() => {
      const now = Date.now();
      promoteDueJobs(this.ctx, now);
      const flags = readFlags(this.ctx);
      if (flags.paused) return false;
      return this.store.one(`SELECT 1 AS x FROM jobs WHERE queue = ? AND state = 'wait' LIMIT 1`, this.qualifiedName) !== undefined;
    });
    if (await ready()) return { member: '0', score: 0 };
    const next = this.read(() => nextDelayedAt(this.ctx));
    let timeout = Math.max(0, blockTimeout) * 1000;
    if (next > 0) timeout = Math.min(timeout, Math.max(0, next - Date.now()));
    // Wake-ups from this process arrive at once; other processes are seen at the next poll.
    const signalled = await waitForSignal(this.store.bus, `job:${this.qualifiedName}`,
      Math.min(timeout, this.identity.pollIntervalMs), (cancel) => { this.cancelWait = cancel; });
    this.cancelWait = undefined;
    if (this.closing || this.blockingDisconnected) return null;
    return signalled ? { member: '0', score: 0 } : null;
  }

  async disconnectBlocking(_wait?: boolean): Promise<void> {
    this.blockingDisconnected = true;
    this.cancelWait?.();
  }

  async reconnectBlocking(): Promise<void> {
    this.blockingDisconnected = false;
  }
}
