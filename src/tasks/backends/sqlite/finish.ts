import type { KeepJobs } from 'bullmq';
import { requeueDeduplicated } from './add.ts';
import { claimNext, type NextJobTuple } from './claim.ts';
import type { QueueCtx } from './context.ts';
import { emitEvent } from './events.ts';
import { onChildCompleted, onChildFailed } from './parents.ts';
import { deleteJob } from './removal.ts';
import { Code, CodeError, HEAD_COLUMNS, parseJson, type JobHead } from './rows.ts';

export type Keep = boolean | number | KeepJobs | undefined;

/** Loads an active job and checks the caller's lock token ('0' = no lock check, as in BullMQ). */
export function lockedJob(ctx: QueueCtx, jobId: string, token: string | undefined): JobHead & { failed_children: number } {
  // The failed-children probe rides along in the same statement (completing such a parent is refused).
  const row = ctx.store.one<JobHead & { failed_children: number }>(
    `SELECT ${HEAD_COLUMNS}, EXISTS (SELECT 1 FROM deps WHERE parent_queue = jobs.queue AND parent_id = jobs.id AND status = 'failed')
       AS failed_children FROM jobs WHERE queue = ? AND id = ?`,
    ctx.queue,
    jobId,
  );
  if (!row) throw new CodeError(Code.JobNotExist);
  if (token && token !== '0') {
    if (row.lock_token === null) throw new CodeError(Code.JobLockNotExist);
    if (row.lock_token !== token) throw new CodeError(Code.JobLockMismatch);
  }
  if (row.state !== 'active') throw new CodeError(Code.JobNotInState);
  return row;
}

export interface FinishInput {
  jobId: string;
  token: string;
  target: 'completed' | 'failed';
  /** JSON return value (completed) or failure reason (failed). */
  value: string;
  stacktrace?: string | undefined;
  keep: Keep;
  fetchNext: boolean;
  workerName: string | undefined;
  now: number;
}

/** moveToCompleted / moveToFailed in one transaction, fused with the next claim when `fetchNext`. */
export function finishJob(ctx: QueueCtx, input: FinishInput): NextJobTuple | undefined {
  const { store, queue } = ctx;
  const { jobId, target, value, now } = input;
  const row = lockedJob(ctx, jobId, input.token);
  if (target === 'completed') {
    if (row.pending_deps > 0) throw new CodeError(Code.JobPendingChildren);
    if (row.failed_children) throw new CodeError(Code.JobHasFailedChildren);
    // removeOnComplete: true deletes the row below, so the state change would be written for nothing.
    if (input.keep !== true) {
      store.run(
        `UPDATE jobs SET state = 'completed', returnvalue = ?, finished_on = ?, attempts_made = attempts_made + 1,
           lock_token = NULL, locked_until = NULL WHERE queue = ? AND id = ?`,
        value,
        now,
        queue,
        jobId,
      );
    }
    emitEvent(ctx, 'completed', { jobId, returnvalue: value, prev: 'active' });
    onChildCompleted(ctx, row, value, now);
  } else {
    store.run(
      `UPDATE jobs SET state = 'failed', failed_reason = ?, stacktrace = COALESCE(?, stacktrace), finished_on = ?,
         attempts_made = attempts_made + 1, lock_token = NULL, locked_until = NULL, deferred_failure = NULL
       WHERE queue = ? AND id = ?`,
      value,
      input.stacktrace ?? null,
      now,
      queue,
      jobId,
    );
    emitEvent(ctx, 'failed', { jobId, failedReason: value, prev: 'active' });
    const attempts = Number(parseJson<{ attempts?: number }>(row.opts, {}).attempts ?? 1);
    if (row.attempts_made + 1 >= attempts) emitEvent(ctx, 'retries-exhausted', { jobId, attemptsMade: row.attempts_made + 1 });
    onChildFailed(ctx, row, value, now);
  }
  // A deduplication slot without a ttl lasts until its job finishes.
  if (row.dedup_id !== null) {
    store.run('DELETE FROM dedup WHERE queue = ? AND job_id = ? AND expire_at IS NULL', queue, jobId);
    requeueDeduplicated(ctx, row.dedup_id, now);
  }
  applyRetention(ctx, target, row, input.keep, now);
  collectMetrics(ctx, target, now);
  // The worker hands the next job the same token it used for this one.
  const next = input.fetchNext ? claimNext(ctx, input.token, input.workerName, now) : undefined;
  if (!next?.[0] && isDrained(ctx)) emitEvent(ctx, 'drained');
  return next;
}

/** Nothing waiting and nothing running: Redis's condition for `drained` after a job finishes. */
function isDrained(ctx: QueueCtx): boolean {
  return (
    ctx.store.one(`SELECT 1 AS x FROM jobs WHERE queue = ? AND state = 'wait' LIMIT 1`, ctx.queue) === undefined &&
    ctx.store.one(`SELECT 1 AS x FROM jobs WHERE queue = ? AND state = 'active' LIMIT 1`, ctx.queue) === undefined
  );
}

/** removeOnComplete / removeOnFail: true, a count to keep, or `{ age (s), count }`. */
// `state` is inlined as a literal (it is one of two constants) so SQLite can use that state's partial index.
function applyRetention(ctx: QueueCtx, state: 'completed' | 'failed', row: JobHead, keep: Keep, now: number): void {
  if (keep === undefined || keep === false) return;
  const { store, queue } = ctx;
  if (keep === true) {
    deleteJob(ctx, { ...row, state }, now);
    return;
  }
  const policy = (typeof keep === 'number' ? { count: keep } : keep) as { age?: number; count?: number; limit?: number };
  if (policy.age !== undefined) {
    const old = store.all<JobHead>(
      `SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND state = '${state}' AND finished_on <= ? ORDER BY finished_on LIMIT ?`,
      queue,
      now - policy.age * 1000,
      policy.limit ?? 1000,
    );
    for (const job of old) deleteJob(ctx, job, now);
  }
  if (policy.count !== undefined && policy.count >= 0) {
    const extra = store.all<JobHead>(
      `SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND state = '${state}' ORDER BY finished_on DESC, seq DESC LIMIT -1 OFFSET ?`,
      queue,
      policy.count,
    );
    for (const job of extra) deleteJob(ctx, job, now);
  }
}

/** Per-minute finished-job counts, newest first, as BullMQ's `collectMetrics` keeps them. */
function collectMetrics(ctx: QueueCtx, kind: string, now: number): void {
  const maxPoints = ctx.settings.metricsMaxDataPoints;
  if (!maxPoints) return;
  const { store, queue } = ctx;
  const row = store.one<{ count: number; prev_ts: number | null; prev_count: number; data: string }>(
    'SELECT count, prev_ts, prev_count, data FROM metrics WHERE queue = ? AND kind = ?',
    queue,
    kind,
  );
  if (!row || row.prev_ts === null) {
    store.run(`INSERT OR REPLACE INTO metrics (queue, kind, count, prev_ts, prev_count, data) VALUES (?, ?, 1, ?, 0, '[]')`, queue, kind, now);
    return;
  }
  const count = row.count + 1;
  const minutes = Math.min(Math.floor(now / 60_000) - Math.floor(row.prev_ts / 60_000), maxPoints);
  if (minutes <= 0) {
    store.run('UPDATE metrics SET count = ? WHERE queue = ? AND kind = ?', count, queue, kind);
    return;
  }
  const data = parseJson<number[]>(row.data, []);
  // The finished minute's delta, preceded (newer side) by a zero for every silent minute since.
  const next = [...Array<number>(minutes - 1).fill(0), row.count - row.prev_count, ...data].slice(0, maxPoints);
  store.run(
    'UPDATE metrics SET count = ?, prev_ts = ?, prev_count = ?, data = ? WHERE queue = ? AND kind = ?',
    count,
    now,
    row.count,
    JSON.stringify(next),
    queue,
    kind,
  );
}
