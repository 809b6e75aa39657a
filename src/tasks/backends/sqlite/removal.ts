import { serverNow } from './clock.ts';
import type { QueueCtx } from './context.ts';
import { emitEvent } from './events.ts';
import { ctxFor, releaseParentIfReady } from './parents.ts';
import { Code, CodeError, HEAD_COLUMNS, parentOf, type JobHead } from './rows.ts';

/**
 * Deletes a job with its logs, its dedup slot and its own children links, and unblocks its parent if
 * it was the last child that parent waited for. As on Redis, a *hard* removal (drain, clean) deletes
 * a same-queue parent left without children (and so on up), while a cross-queue parent, or any
 * parent on a soft removal (`job.remove`, retention), goes on to wait.
 */
export function deleteJob(ctx: QueueCtx, row: JobHead, now: number, hard = false): void {
  const { store, queue } = ctx;
  // The jobs_removed trigger deletes its logs and children links.
  store.run('DELETE FROM jobs WHERE queue = ? AND id = ?', queue, row.id);
  if (row.dedup_id !== null && store.run('DELETE FROM dedup WHERE queue = ? AND dedup_id = ? AND job_id = ?', queue, row.dedup_id, row.id) > 0) {
    store.run('DELETE FROM dedup_next WHERE queue = ? AND dedup_id = ?', queue, row.dedup_id);
  }
  const parent = parentOf(row);
  if (!parent) return;
  const removed = store.run(
    `DELETE FROM deps WHERE parent_queue = ? AND parent_id = ? AND child_key = ? AND status = 'pending'`,
    parent.queueKey,
    parent.id,
    `${queue}:${row.id}`,
  );
  if (removed === 0) return;
  store.run('UPDATE jobs SET pending_deps = MAX(pending_deps - 1, 0) WHERE queue = ? AND id = ?', parent.queueKey, parent.id);
  const parentRow = store.one<JobHead>(`SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND id = ?`, parent.queueKey, parent.id);
  if (!parentRow || parentRow.state !== 'waiting-children' || parentRow.pending_deps > 0) return;
  if (hard && parent.queueKey === queue) deleteJob(ctx, parentRow, now, true);
  else releaseParentIfReady(ctx, parent.queueKey, parent.id, now);
}

/**
 * A job scheduler's current iteration (`repeat:<scheduler>:<next millis>`): Redis refuses to remove
 * it directly and drain/clean skip it, so the schedule cannot silently stop.
 */
export function isSchedulerJob(ctx: QueueCtx, row: Pick<JobHead, 'id' | 'repeat_job_key'>): boolean {
  if (!row.repeat_job_key) return false;
  const scheduler = ctx.store.one<{ next_millis: number | null }>(
    'SELECT next_millis FROM schedulers WHERE queue = ? AND id = ?',
    ctx.queue,
    row.repeat_job_key,
  );
  return scheduler !== undefined && row.id === `repeat:${row.repeat_job_key}:${scheduler.next_millis}`;
}

function isLocked(row: JobHead, _now: number): boolean {
  return row.state === 'active' && row.lock_token !== null && (row.locked_until ?? 0) > serverNow();
}

function childrenOf(ctx: QueueCtx, id: string, onlyPending: boolean): { child_queue: string; child_id: string }[] {
  return ctx.store.all(
    `SELECT child_queue, child_id FROM deps WHERE parent_queue = ? AND parent_id = ?${onlyPending ? ` AND status = 'pending'` : ''}`,
    ctx.queue,
    id,
  );
}

/** Whether the job or (when removing them too) any descendant holds a live lock. */
function anyLocked(ctx: QueueCtx, row: JobHead, withChildren: boolean, now: number): boolean {
  if (isLocked(row, now)) return true;
  if (!withChildren) return false;
  for (const child of childrenOf(ctx, row.id, false)) {
    const cctx = ctxFor(ctx, child.child_queue);
    const crow = ctx.store.one<JobHead>(`SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND id = ?`, child.child_queue, child.child_id);
    if (crow && anyLocked(cctx, crow, true, now)) return true;
  }
  return false;
}

function removeTree(ctx: QueueCtx, row: JobHead, withChildren: boolean, now: number): void {
  if (withChildren) {
    for (const child of childrenOf(ctx, row.id, false)) {
      const cctx = ctxFor(ctx, child.child_queue);
      const crow = ctx.store.one<JobHead>(`SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND id = ?`, child.child_queue, child.child_id);
      if (crow) removeTree(cctx, crow, true, now);
    }
  }
  deleteJob(ctx, row, now);
  emitEvent(ctx, 'removed', { jobId: row.id, prev: row.state === 'wait' ? 'waiting' : row.state });
}

/** `Job.remove`: 1 when removed, 0 when the job or a child to remove is locked by a worker. */
export function removeJob(ctx: QueueCtx, jobId: string, withChildren: boolean, now: number): number {
  const row = ctx.store.one<JobHead>(`SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND id = ?`, ctx.queue, jobId);
  if (!row) return 0;
  if (isSchedulerJob(ctx, row)) throw new CodeError(Code.JobBelongsToJobScheduler);
  if (anyLocked(ctx, row, withChildren, now)) return 0;
  removeTree(ctx, row, withChildren, now);
  return 1;
}

export function removeUnprocessedChildren(ctx: QueueCtx, jobId: string, now: number): void {
  for (const child of childrenOf(ctx, jobId, true)) {
    const cctx = ctxFor(ctx, child.child_queue);
    const crow = ctx.store.one<JobHead>(`SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND id = ?`, child.child_queue, child.child_id);
    // A child that failed without a failure policy is still pending for its parent, but it was processed.
    if (crow && crow.state !== 'failed' && crow.state !== 'completed' && !anyLocked(cctx, crow, true, now)) removeTree(cctx, crow, true, now);
  }
}

const STATE_OF_TYPE: Record<string, string> = {
  completed: 'completed',
  failed: 'failed',
  active: 'active',
  delayed: 'delayed',
  wait: 'wait',
  waiting: 'wait',
  paused: 'wait',
  prioritized: 'wait',
  'waiting-children': 'waiting-children',
};

/**
 * `Queue.clean`: removes up to `limit` (0 = all) jobs of a state whose time is at or before
 * `timestamp` (Redis's `<=`): finished jobs by `finishedOn`; others by `finishedOn`, `processedOn`
 * or `timestamp`, the first set, so a job attempted within the grace period stays. Locked active
 * jobs and job schedulers' current iterations are kept.
 */
export function cleanJobs(ctx: QueueCtx, type: string, timestamp: number, limit: number, now: number): string[] {
  const state = STATE_OF_TYPE[type];
  if (!state) throw new Error(`Unknown job state: ${type}`);
  const finished = state === 'completed' || state === 'failed';
  let column = finished ? 'finished_on' : 'COALESCE(finished_on, processed_on, timestamp)';
  if (type === 'prioritized') column = 'timestamp';
  else if (state === 'delayed') column = 'COALESCE(processed_on, timestamp)';
  let extra = '';
  if (type === 'prioritized') extra = ' AND priority > 0';
  else if (type === 'wait' || type === 'waiting' || type === 'paused') extra = ' AND priority = 0';
  const rows = ctx.store.all<JobHead>(
    // `state` comes from the fixed map above; inlined so the state's partial index applies.
    `SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND state = '${state}'${extra} AND ${column} <= ? ORDER BY ${column}`,
    ctx.queue,
    timestamp,
  );
  const removed: string[] = [];
  for (const row of rows) {
    if (limit > 0 && removed.length >= limit) break;
    if (isLocked(row, now) || (!finished && isSchedulerJob(ctx, row))) continue;
    deleteJob(ctx, row, now, true);
    removed.push(row.id);
  }
  emitEvent(ctx, 'cleaned', { count: removed.length });
  return removed;
}

/** `Queue.drain`: removes waiting (and optionally delayed) jobs, but not job schedulers' next iterations. */
export function drainQueue(ctx: QueueCtx, delayed: boolean, now: number): void {
  const states = delayed ? `('wait', 'delayed')` : `('wait')`;
  for (const row of ctx.store.all<JobHead>(`SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND state IN ${states}`, ctx.queue)) {
    if (isSchedulerJob(ctx, row)) continue;
    // An earlier deletion in this loop may have taken this row with it (a parent left without children).
    if (!ctx.store.one('SELECT 1 AS x FROM jobs WHERE queue = ? AND id = ?', ctx.queue, row.id)) continue;
    deleteJob(ctx, row, now, true);
  }
}

/** `Queue.obliterate`: every trace of the queue, refused while it runs (BullMQ's codes -1 / -2). */
export function obliterateQueue(ctx: QueueCtx, force: boolean): number {
  const { store, queue } = ctx;
  if (!store.one(`SELECT 1 AS x FROM meta WHERE queue = ? AND field = 'paused'`, queue)) return -1;
  if (!force && store.one(`SELECT 1 AS x FROM jobs WHERE queue = ? AND state = 'active'`, queue)) return -2;
  store.writeEvents(); // events held by this operation go too
  for (const table of ['jobs', 'logs', 'events', 'meta', 'counters', 'dedup', 'dedup_next', 'schedulers', 'metrics']) {
    store.run(`DELETE FROM ${table} WHERE queue = ?`, queue);
  }
  store.run('DELETE FROM rate_limit WHERE queue = ?', queue);
  store.run('DELETE FROM deps WHERE parent_queue = ? OR child_queue = ?', queue, queue);
  return 0;
}
