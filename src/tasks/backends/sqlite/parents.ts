import type { QueueCtx } from './context.ts';
import { emitEvent, wakeWorkers } from './events.ts';
import { parentOf, type JobHead, type JobRow } from './rows.ts';

/** A context for another queue in the same file (flows span queues). */
export function ctxFor(ctx: QueueCtx, queue: string): QueueCtx {
  return queue === ctx.queue ? ctx : { store: ctx.store, queue, settings: ctx.settings };
}

/** Moves a parent to wait, or to delayed when it has a delay (BullMQ's moveParentToWait). */
export function moveParentToWait(ctx: QueueCtx, parentQueue: string, parentId: string, now: number): void {
  const pctx = ctxFor(ctx, parentQueue);
  const parent = ctx.store.one<Pick<JobRow, 'delay' | 'priority'>>('SELECT delay, priority FROM jobs WHERE queue = ? AND id = ?', parentQueue, parentId);
  if (!parent) return;
  if (parent.delay > 0) {
    ctx.store.run(`UPDATE jobs SET state = 'delayed', process_at = ? WHERE queue = ? AND id = ?`, now + parent.delay, parentQueue, parentId);
    emitEvent(pctx, 'delayed', { jobId: parentId, delay: now + parent.delay });
  } else {
    ctx.store.run(`UPDATE jobs SET state = 'wait', seq = ? WHERE queue = ? AND id = ?`, ctx.store.reserve(parentQueue, 'seq'), parentQueue, parentId);
    emitEvent(pctx, 'waiting', { jobId: parentId, prev: 'waiting-children' });
  }
  wakeWorkers(pctx);
}

/** Moves a parent whose children are all resolved from waiting-children to wait (or delayed). */
export function releaseParentIfReady(ctx: QueueCtx, parentQueue: string, parentId: string, now: number): void {
  const parent = ctx.store.one<Pick<JobRow, 'state' | 'pending_deps'>>(
    'SELECT state, pending_deps FROM jobs WHERE queue = ? AND id = ?',
    parentQueue,
    parentId,
  );
  if (!parent || parent.state !== 'waiting-children' || parent.pending_deps > 0) return;
  moveParentToWait(ctx, parentQueue, parentId, now);
}

/** Records a completed child's return value on its parent and releases the parent when it was the last one. */
export function onChildCompleted(ctx: QueueCtx, child: Pick<JobHead, 'id' | 'parent'>, returnValue: string, now: number): void {
  const parent = parentOf(child);
  if (!parent) return;
  const changed = ctx.store.run(
    `UPDATE deps SET status = 'processed', value = ? WHERE parent_queue = ? AND parent_id = ? AND child_key = ? AND status = 'pending'`,
    returnValue,
    parent.queueKey,
    parent.id,
    `${ctx.queue}:${child.id}`,
  );
  if (changed === 0) return;
  ctx.store.run('UPDATE jobs SET pending_deps = MAX(pending_deps - 1, 0) WHERE queue = ? AND id = ?', parent.queueKey, parent.id);
  releaseParentIfReady(ctx, parent.queueKey, parent.id, now);
}

/**
 * Applies a failed child's policy to its parent, as BullMQ's moveChildFromDependenciesIfNeeded:
 * - failParentOnFailure: the child is "unsuccessful" and the parent gets a *deferred failure* and
 *   goes to wait, so a worker fails it (emitting `failed` and cascading up the same way);
 * - continueParentOnFailure: the failure is recorded and the parent goes on once nothing is pending;
 * - ignoreDependencyOnFailure: the same, with the failure kept as "ignored";
 * - removeDependencyOnFailure: the child is forgotten;
 * - none: the child stays pending and the parent waits (until the child is retried).
 */
export function onChildFailed(ctx: QueueCtx, child: Pick<JobHead, 'id' | 'parent'>, reason: string, now: number): void {
  const parent = parentOf(child);
  if (!parent || !(parent.fpof || parent.cpof || parent.idof || parent.rdof)) return;
  const { store } = ctx;
  const childKey = `${ctx.queue}:${child.id}`;
  const where = `WHERE parent_queue = ? AND parent_id = ? AND child_key = ? AND status = 'pending'`;
  const keys = [parent.queueKey, parent.id, childKey] as const;
  const changed =
    parent.rdof && !parent.fpof && !parent.cpof && !parent.idof
      ? store.run(`DELETE FROM deps ${where}`, ...keys)
      : store.run(`UPDATE deps SET status = ?, value = ? ${where}`, parent.fpof ? 'failed' : 'ignored', reason, ...keys);
  if (changed === 0) return;
  store.run('UPDATE jobs SET pending_deps = MAX(pending_deps - 1, 0) WHERE queue = ? AND id = ?', parent.queueKey, parent.id);
  if (parent.fpof) deferParentFailure(ctx, parent.queueKey, parent.id, `child ${childKey} failed`, now);
  else releaseParentIfReady(ctx, parent.queueKey, parent.id, now);
}

function deferParentFailure(ctx: QueueCtx, parentQueue: string, parentId: string, reason: string, now: number): void {
  const row = ctx.store.one<Pick<JobRow, 'state'>>('SELECT state FROM jobs WHERE queue = ? AND id = ?', parentQueue, parentId);
  if (!row || row.state === 'failed') return;
  ctx.store.run('UPDATE jobs SET deferred_failure = ? WHERE queue = ? AND id = ?', reason, parentQueue, parentId);
  if (row.state === 'waiting-children' || row.state === 'delayed') {
    // A delayed parent is failed now, not after its delay.
    if (row.state === 'delayed') ctx.store.run('UPDATE jobs SET delay = 0, process_at = NULL WHERE queue = ? AND id = ?', parentQueue, parentId);
    moveParentToWait(ctx, parentQueue, parentId, now);
  }
}
