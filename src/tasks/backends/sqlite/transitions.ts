import { FORCED_LIMIT, promoteDueJobs } from './claim.ts';
import type { QueueCtx } from './context.ts';
import { emitEvent, wakeWorkers } from './events.ts';
import { lockedJob } from './finish.ts';
import { Code, CodeError, parentOf, type JobRow } from './rows.ts';

export interface FailureFields {
  failedReason?: string;
  stacktrace?: string;
}

/** Retry-with-backoff or `job.moveToDelayed`: active → delayed until `at`. */
export function moveToDelayed(
  ctx: QueueCtx,
  jobId: string,
  at: number,
  delay: number,
  token: string | undefined,
  skipAttempt: boolean,
  fields: FailureFields,
): void {
  lockedJob(ctx, jobId, token);
  ctx.store.run(
    `UPDATE jobs SET state = 'delayed', process_at = ?, delay = ?, attempts_made = attempts_made + ?,
       failed_reason = COALESCE(?, failed_reason), stacktrace = COALESCE(?, stacktrace),
       lock_token = NULL, locked_until = NULL WHERE queue = ? AND id = ?`,
    at,
    delay,
    skipAttempt ? 0 : 1,
    fields.failedReason ?? null,
    fields.stacktrace ?? null,
    ctx.queue,
    jobId,
  );
  emitEvent(ctx, 'delayed', { jobId, delay: at });
  wakeWorkers(ctx);
}

/**
 * Immediate retry: active → wait (front of the queue when lifo). Delayed jobs already due are
 * promoted first, so they run before the retried job (Redis's retryJob does the same).
 */
export function retryJob(ctx: QueueCtx, jobId: string, lifo: boolean, token: string | undefined, fields: FailureFields, now: number): void {
  lockedJob(ctx, jobId, token);
  promoteDueJobs(ctx, now);
  const seq = ctx.store.reserve(ctx.queue, 'seq');
  ctx.store.run(
    `UPDATE jobs SET state = 'wait', seq = ?, attempts_made = attempts_made + 1,
       failed_reason = COALESCE(?, failed_reason), stacktrace = COALESCE(?, stacktrace),
       lock_token = NULL, locked_until = NULL WHERE queue = ? AND id = ?`,
    lifo ? -seq : seq,
    fields.failedReason ?? null,
    fields.stacktrace ?? null,
    ctx.queue,
    jobId,
  );
  emitEvent(ctx, 'waiting', { jobId, prev: 'active' });
  wakeWorkers(ctx);
}

/**
 * A job hit a manual rate limit: back to the head of wait. Its `attemptsStarted` stays counted, as on
 * Redis (the processor did start). Returns the window's ttl.
 */
export function moveActiveToWait(ctx: QueueCtx, jobId: string, token: string, now: number): number {
  lockedJob(ctx, jobId, token);
  const head = ctx.store.one<{ seq: number | null }>(`SELECT MIN(seq) AS seq FROM jobs WHERE queue = ? AND state = 'wait'`, ctx.queue);
  ctx.store.run(
    `UPDATE jobs SET state = 'wait', seq = ?, lock_token = NULL, locked_until = NULL WHERE queue = ? AND id = ?`,
    Math.min(head?.seq ?? 0, 0) - 1,
    ctx.queue,
    jobId,
  );
  emitEvent(ctx, 'waiting', { jobId, prev: 'active' });
  const window = ctx.store.one<{ expire_at: number }>('SELECT expire_at FROM rate_limit WHERE queue = ?', ctx.queue);
  return window && window.expire_at > now ? window.expire_at - now : 0;
}

/** `job.retry()` on a finished job: back to wait, keeping or resetting its attempt counters. */
export function reprocessJob(ctx: QueueCtx, jobId: string, state: 'completed' | 'failed', lifo: boolean, resetMade: boolean, resetStarted: boolean): number {
  const row = ctx.store.one<JobRow>('SELECT * FROM jobs WHERE queue = ? AND id = ?', ctx.queue, jobId);
  if (!row) return Code.JobNotExist;
  if (row.state !== state) return Code.JobNotInState;
  const seq = ctx.store.reserve(ctx.queue, 'seq');
  ctx.store.run(
    `UPDATE jobs SET state = 'wait', seq = ?, finished_on = NULL, processed_on = NULL, returnvalue = NULL,
       failed_reason = NULL, attempts_made = CASE WHEN ? THEN 0 ELSE attempts_made END,
       attempts_started = CASE WHEN ? THEN 0 ELSE attempts_started END WHERE queue = ? AND id = ?`,
    lifo ? -seq : seq,
    resetMade ? 1 : 0,
    resetStarted ? 1 : 0,
    ctx.queue,
    jobId,
  );
  relinkToParent(ctx, row, state);
  emitEvent(ctx, 'waiting', { jobId, prev: state });
  wakeWorkers(ctx);
  return 1;
}

/**
 * A retried child counts again as one of its parent's pending children (moveChildBackToParentDependencies);
 * a parent that already left waiting-children is not moved back.
 */
function relinkToParent(ctx: QueueCtx, row: JobRow, state: 'completed' | 'failed'): void {
  const parent = parentOf(row);
  if (!parent) return;
  const from = state === 'failed' ? `status IN ('failed', 'ignored')` : `status = 'processed'`;
  const changed = ctx.store.run(
    `UPDATE deps SET status = 'pending', value = NULL WHERE parent_queue = ? AND parent_id = ? AND child_key = ? AND ${from}`,
    parent.queueKey,
    parent.id,
    `${ctx.queue}:${row.id}`,
  );
  if (changed > 0) ctx.store.run('UPDATE jobs SET pending_deps = pending_deps + 1 WHERE queue = ? AND id = ?', parent.queueKey, parent.id);
}

/** `Queue.retryJobs`: up to `count` finished jobs (finished before `timestamp`) back to wait; 1 = more remain. */
export function retryFinishedJobs(ctx: QueueCtx, state: 'completed' | 'failed', count: number, timestamp: number): number {
  if (state !== 'completed' && state !== 'failed') throw new Error(`Unknown job state: ${String(state)}`);
  const ids = ctx.store.all<{ id: string }>(
    `SELECT id FROM jobs WHERE queue = ? AND state = '${state}' AND finished_on <= ? ORDER BY finished_on LIMIT ?`,
    ctx.queue,
    timestamp,
    count + 1,
  );
  for (const { id } of ids.slice(0, count)) reprocessJob(ctx, id, state, false, false, false);
  return ids.length > count ? 1 : 0;
}

export function promote(ctx: QueueCtx, jobId: string): void {
  const row = ctx.store.one<JobRow>('SELECT * FROM jobs WHERE queue = ? AND id = ?', ctx.queue, jobId);
  if (!row) throw new CodeError(Code.JobNotExist);
  if (row.state !== 'delayed') throw new CodeError(Code.JobNotInState);
  ctx.store.run(
    `UPDATE jobs SET state = 'wait', seq = ?, delay = 0, process_at = NULL WHERE queue = ? AND id = ?`,
    ctx.store.reserve(ctx.queue, 'seq'),
    ctx.queue,
    jobId,
  );
  emitEvent(ctx, 'waiting', { jobId, prev: 'delayed' });
  wakeWorkers(ctx);
}

/** `Queue.promoteJobs`: up to `count` delayed jobs; 1 = more remain. */
export function promoteJobs(ctx: QueueCtx, count: number): number {
  const ids = ctx.store.all<{ id: string }>(`SELECT id FROM jobs WHERE queue = ? AND state = 'delayed' ORDER BY process_at LIMIT ?`, ctx.queue, count + 1);
  for (const { id } of ids.slice(0, count)) promote(ctx, id);
  return ids.length > count ? 1 : 0;
}

export function changeDelay(ctx: QueueCtx, jobId: string, delay: number, now: number): void {
  const row = ctx.store.one<JobRow>('SELECT * FROM jobs WHERE queue = ? AND id = ?', ctx.queue, jobId);
  if (!row) throw new CodeError(Code.JobNotExist);
  if (row.state !== 'delayed') throw new CodeError(Code.JobNotInState);
  ctx.store.run('UPDATE jobs SET delay = ?, process_at = ? WHERE queue = ? AND id = ?', delay, now + delay, ctx.queue, jobId);
  emitEvent(ctx, 'delayed', { jobId, delay: now + delay });
  wakeWorkers(ctx);
}

export function changePriority(ctx: QueueCtx, jobId: string, priority: number, lifo: boolean): void {
  const row = ctx.store.one<JobRow>('SELECT * FROM jobs WHERE queue = ? AND id = ?', ctx.queue, jobId);
  if (!row) throw new CodeError(Code.JobNotExist);
  const seq = ctx.store.reserve(ctx.queue, 'seq');
  const opts = { ...(JSON.parse(row.opts) as Record<string, unknown>), priority };
  ctx.store.run(
    'UPDATE jobs SET priority = ?, seq = ?, opts = ? WHERE queue = ? AND id = ?',
    Math.max(0, Math.floor(priority)),
    row.state === 'wait' ? (lifo ? -seq : seq) : row.seq,
    JSON.stringify(opts),
    ctx.queue,
    jobId,
  );
}

/** A processor waiting for its children: true when moved to waiting-children, false when none are pending. */
export function moveToWaitingChildren(ctx: QueueCtx, jobId: string, token: string, childKey: string | undefined): boolean {
  const row = lockedJob(ctx, jobId, token);
  // A failParentOnFailure child that failed meanwhile: the parent cannot wait any more (Redis's -9).
  if (ctx.store.one(`SELECT 1 AS x FROM deps WHERE parent_queue = ? AND parent_id = ? AND status = 'failed'`, ctx.queue, jobId)) {
    throw new CodeError(Code.JobHasFailedChildren);
  }
  const pending = childKey
    ? ctx.store.one(`SELECT 1 AS x FROM deps WHERE parent_queue = ? AND parent_id = ? AND child_key = ? AND status = 'pending'`, ctx.queue, jobId, childKey)
    : row.pending_deps > 0;
  if (!pending) return false;
  ctx.store.run(`UPDATE jobs SET state = 'waiting-children', lock_token = NULL, locked_until = NULL WHERE queue = ? AND id = ?`, ctx.queue, jobId);
  emitEvent(ctx, 'waiting-children', { jobId });
  return true;
}

/** `Queue.rateLimit`: closes the window for `ms` whatever the limiter's max. */
export function setRateLimit(ctx: QueueCtx, ms: number, now: number): void {
  ctx.store.run('INSERT OR REPLACE INTO rate_limit (queue, points, expire_at) VALUES (?, ?, ?)', ctx.queue, FORCED_LIMIT, now + ms);
}
