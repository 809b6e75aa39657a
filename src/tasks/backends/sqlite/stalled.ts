import type { QueueCtx } from './context.ts';
import { emitEvent, wakeWorkers } from './events.ts';

const STALLED_REASON = 'job stalled more than allowable limit';

/**
 * Recovers active jobs whose lock expired (their worker died or hung): back to wait. A job that
 * stalled more than `maxStalledCount` times (and is not a job scheduler's) goes back to wait with a
 * *deferred failure*, as on Redis: the next worker to take it fails it at once and emits `failed`.
 * Throttled through the queue's `stalled-check` meta field so that many workers share one sweep per
 * interval. `now` is the server clock (clock.ts).
 */
export function moveStalledJobsToWait(ctx: QueueCtx, now: number): string[] {
  const { store, queue, settings } = ctx;
  const last = Number(store.one<{ value: string }>(`SELECT value FROM meta WHERE queue = ? AND field = 'stalled-check'`, queue)?.value ?? 0);
  if (now >= last && now < last + settings.stalledInterval / 2) return [];
  store.run(`INSERT OR REPLACE INTO meta (queue, field, value) VALUES (?, 'stalled-check', ?)`, queue, String(now));
  const stalled = store.all<{ id: string; stalled_counter: number; repeat_job_key: string | null }>(
    `SELECT id, stalled_counter, repeat_job_key FROM jobs
     WHERE queue = ? AND state = 'active' AND locked_until < ? ORDER BY locked_until LIMIT 1000`,
    queue,
    now,
  );
  for (const job of stalled) {
    const count = job.stalled_counter + 1;
    const scheduled =
      job.repeat_job_key !== null && store.one('SELECT 1 AS x FROM schedulers WHERE queue = ? AND id = ?', queue, job.repeat_job_key) !== undefined;
    const deferred = count > settings.maxStalledCount && !scheduled ? STALLED_REASON : null;
    store.run(
      `UPDATE jobs SET state = 'wait', seq = ?, stalled_counter = ?, lock_token = NULL, locked_until = NULL,
         deferred_failure = COALESCE(?, deferred_failure) WHERE queue = ? AND id = ?`,
      store.reserve(queue, 'seq'),
      count,
      deferred,
      queue,
      job.id,
    );
    emitEvent(ctx, 'waiting', { jobId: job.id, prev: 'active' });
    emitEvent(ctx, 'stalled', { jobId: job.id });
  }
  if (stalled.length > 0) wakeWorkers(ctx);
  return stalled.map((job) => job.id);
}

/** 1 when the lock is still ours and was extended, 0 otherwise. */
export function extendLock(ctx: QueueCtx, jobId: string, token: string, duration: number, now: number): number {
  return ctx.store.run(
    `UPDATE jobs SET locked_until = ? WHERE queue = ? AND id = ? AND state = 'active' AND lock_token = ?`,
    now + duration,
    ctx.queue,
    jobId,
    token,
  );
}
