import { serverNow } from './clock.ts';
import type { QueueCtx } from './context.ts';
import { emitEvent } from './events.ts';
import { ctxFor, releaseParentIfReady } from './parents.ts';
import { Code, CodeError, HEAD_COLUMNS, parentOf, type JobHead } from './rows.ts';

/** Deletes a job with its logs, its dedup slot and its own children links; unblocks its parent if waiting on it. */
export function deleteJob(ctx: QueueCtx, row: JobHead, now: number): void {
  const { store, queue } = ctx;
  // The jobs_removed trigger deletes its logs and children links.
  store.run('DELETE FROM jobs WHERE queue = ? AND id = ?', queue, row.id);
  if (row.dedup_id !== null) store.run('DELETE FROM dedup WHERE queue = ? AND job_id = ?', queue, row.id);
  const parent = parentOf(row);
  if (parent) {
    const removed = store.run(
      `DELETE FROM deps WHERE parent_queue = ? AND parent_id = ? AND child_key = ? AND status = 'pending'`,
      parent.queueKey, parent.id, `${queue}:${row.id}`,
    );
    if (removed > 0) {
      store.run('UPDATE jobs SET pending_deps = MAX(pending_deps - 1, 0) WHERE queue = ? AND id = ?', parent.queueKey, parent.id);
      releaseParentIfReady(ctx, parent.queueKey, parent.id, now);
    }
  }
}

/** Locks expire on the server clock (see clock.ts), whatever the caller's `now`. */
function isLocked(row: JobHead, _now: number): boolean {
  return row.state === 'active' && row.lock_token !== null && (row.locked_until ?? 0) > serverNow();
}

function childrenOf(ctx: QueueCtx, id: string, onlyPending: boolean): { child_queue: string; child_id: string }[] {
  return ctx.store.all(
    `SELECT child_queue, child_id FROM deps WHERE parent_queue = ? AND parent_id = ?${onlyPending ? ` AND status = 'pending'` : ''}`,
    ctx.queue, id,
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
  if (row.repeat_job_key && row.state === 'delayed' &&
      ctx.store.one('SELECT 1 AS x FROM schedulers WHERE queue = ? AND id = ?', ctx.queue, row.repeat_job_key)) {
    throw new CodeError(Code.JobBelongsToJobScheduler);
  }
  if (anyLocked(ctx, row, withChildren, now)) return 0;
  removeTree(ctx, row, withChildren, now);
  return 1;
}

export function removeUnprocessedChildren(ctx: QueueCtx, jobId: string, now: number): void {
  for (const child of childrenOf(ctx, jobId, true)) {
    const cctx = ctxFor(ctx, child.child_queue);
    const crow = ctx.store.one<JobHead>(`SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND id = ?`, child.child_queue, child.child_id);
    if (crow && !anyLocked(cctx, crow, true, now)) removeTree(cctx, crow, true, now);
  }
}

const STATE_OF_TYPE: Record<string, string> = {
  completed: 'completed', failed: 'failed', active: 'active', delayed: 'delayed',
  wait: 'wait', waiting: 'wait', paused: 'wait', prioritized: 'wait', 'waiting-children': 'waiting-children',
};

/** `Queue.clean`: removes up to `limit` (0 = all) jobs of a state older than `timestamp`. */
export function cleanJobs(ctx: QueueCtx, type: string, timestamp: number, limit: number, now: number): string[] {
  const state = STATE_OF_TYPE[type];
  if (!state) throw new Error(`Unknown job state: ${type}`);
  const column = state === 'completed' || state === 'failed' ? 'finished_on' : 'timestamp';
  let extra = '';
  if (type === 'prioritized') extra = ' AND priority > 0';
  else if (type === 'wait' || type === 'waiting' || type === 'paused') extra = ' AND priority = 0';
  const rows = ctx.store.all<JobHead>(
    // `state` comes from the fixed map above; inlined so the state's partial index applies.
    `SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND state = '${state}'${extra} AND ${column} < ? ORDER BY ${column} LIMIT ?`,
    ctx.queue, timestamp, limit > 0 ? limit : -1,
  );
  const removed: string[] = [];
  for (const row of rows) {
    if (isLocked(row, now)) continue;
    deleteJob(ctx, row, now);
    removed.push(row.id);
  }
  emitEvent(ctx, 'cleaned', { count: removed.length });
  return removed;
}

/** `Queue.drain`: removes waiting (and optionally delayed) jobs. */
export function drainQueue(ctx: QueueCtx, delayed: boolean, now: number): void {
  const states = delayed ? `('wait', 'delayed')` : `('wait')`;
  for (const row of ctx.store.all<JobHead>(`SELECT ${HEAD_COLUMNS} FROM jobs WHERE queue = ? AND state IN ${states}`, ctx.queue)) {
    deleteJob(ctx, row, now);
  }
}

/** `Queue.obliterate`: every trace of the queue, refused while it runs (BullMQ's codes -1 / -2). */
export function obliterateQueue(ctx: QueueCtx, force: boolean): number {
  const { store, queue } = ctx;
  if (!store.one(`SELECT 1 AS x FROM meta WHERE queue = ? AND field = 'paused'`, queue)) return -1;
  if (!force && store.one(`SELECT 1 AS x FROM jobs WHERE queue = ? AND state = 'active'`, queue)) return -2;
  for (const table of ['jobs', 'logs', 'events', 'meta', 'counters', 'dedup', 'schedulers', 'metrics']) {
    store.run(`DELETE FROM ${table} WHERE queue = ?`, queue);
  }
  store.run('DELETE FROM rate_limit WHERE queue = ?', queue);
  store.run('DELETE FROM deps WHERE parent_queue = ? OR child_queue = ?', queue, queue);
  return 0;
}
