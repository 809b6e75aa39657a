import type { QueueCtx } from './context.ts';
import { emitEvent, wakeWorkers } from './events.ts';
import { parentOf, parseJson, type JobHead, type JobRow } from './rows.ts';

/** A context for another queue in the same file (flows span queues). */
export function ctxFor(ctx: QueueCtx, queue: string): QueueCtx {
  return queue === ctx.queue ? ctx : { store: ctx.store, queue, settings: ctx.settings };
}

/** Moves a parent whose children are all resolved from waiting-children to wait (or delayed). */
export function releaseParentIfReady(ctx: QueueCtx, parentQueue: string, parentId: string, now: number, force = false): void {
  const pctx = ctxFor(ctx, parentQueue);
  const parent = ctx.store.one<Pick<JobRow, 'state' | 'pending_deps' | 'opts'>>(
    'SELECT state, pending_deps, opts FROM jobs WHERE queue = ? AND id = ?', parentQueue, parentId,
  );
  if (!parent || parent.state !== 'waiting-children' || (parent.pending_deps > 0 && !force)) return;
  const delay = Number(parseJson<{ delay?: number }>(parent.opts, {}).delay ?? 0);
  if (delay > 0) {
    ctx.store.run(`UPDATE jobs SET state = 'delayed', process_at = ? WHERE queue = ? AND id = ?`, now + delay, parentQueue, parentId);
    emitEvent(pctx, 'delayed', { jobId: parentId, delay: now + delay });
  } else {
    ctx.store.run(`UPDATE jobs SET state = 'wait', seq = ? WHERE queue = ? AND id = ?`,
      ctx.store.reserve(parentQueue, 'seq'), parentQueue, parentId);
    emitEvent(pctx, 'waiting', { jobId: parentId, prev: 'waiting-children' });
  }
  wakeWorkers(pctx);
}

/** Records a completed child's return value on its parent and releases the parent when it was the last one. */
export function onChildCompleted(ctx: QueueCtx, child: Pick<JobHead, 'id' | 'parent'>, returnValue: string, now: number): void {
  const parent = parentOf(child);
  if (!parent) return;
  const changed = ctx.store.run(
    `UPDATE deps SET status = 'processed', value = ? WHERE parent_queue = ? AND parent_id = ? AND child_key = ? AND status = 'pending'`,
    returnValue, parent.queueKey, parent.id, `${ctx.queue}:${child.id}`,
  );
  if (changed === 0) return;
  ctx.store.run('UPDATE jobs SET pending_deps = MAX(pending_deps - 1, 0) WHERE queue = ? AND id = ?', parent.queueKey, parent.id);
  releaseParentIfReady(ctx, parent.queueKey, parent.id, now);
}

/** Applies the child's failure policy (fail / ignore / remove dependency / continue parent) to its parent. */
export function onChildFailed(ctx: QueueCtx, child: Pick<JobHead, 'id' | 'parent'>, reason: string, now: number): void {
  const parent = parentOf(child);
  if (!parent) return;
  const { store } = ctx;
  const childKey = `${ctx.queue}:${child.id}`;
  const where = 'WHERE parent_queue = ? AND parent_id = ? AND child_key = ? AND status = ?';
  const keys = [parent.queueKey, parent.id, childKey, 'pending'] as const;
  if (!store.one(`SELECT 1 AS x FROM deps ${where}`, ...keys)) return;
  const decrement = (): void => {
    store.run('UPDATE jobs SET pending_deps = MAX(pending_deps - 1, 0) WHERE queue = ? AND id = ?', parent.queueKey, parent.id);
  };
  if (parent.idof) {
    store.run(`UPDATE deps SET status = 'ignored', value = ? ${where}`, reason, ...keys);
    decrement();
    releaseParentIfReady(ctx, parent.queueKey, parent.id, now);
  } else if (parent.rdof) {
    store.run(`DELETE FROM deps ${where}`, ...keys);
    decrement();
    releaseParentIfReady(ctx, parent.queueKey, parent.id, now);
  } else if (parent.cpof) {
    store.run(`UPDATE deps SET status = 'failed', value = ? ${where}`, reason, ...keys);
    decrement();
    releaseParentIfReady(ctx, parent.queueKey, parent.id, now, true);
  } else {
    store.run(`UPDATE deps SET status = 'failed', value = ? ${where}`, reason, ...keys);
    if (parent.fpof) failParent(ctx, parent.queueKey, parent.id, `child ${childKey} failed`, now);
  }
}

function failParent(ctx: QueueCtx, parentQueue: string, parentId: string, reason: string, now: number): void {
  const pctx = ctxFor(ctx, parentQueue);
  const row = ctx.store.one<JobRow>(
    `UPDATE jobs SET state = 'failed', failed_reason = ?, finished_on = ? WHERE queue = ? AND id = ? AND state = 'waiting-children' RETURNING *`,
    reason, now, parentQueue, parentId,
  );
  if (!row) return;
  emitEvent(pctx, 'failed', { jobId: parentId, failedReason: reason, prev: 'waiting-children' });
  onChildFailed(pctx, row, reason, now);
}
