import type { QueueCtx } from './context.ts';
import { emitEvent, wakeWorkers } from './events.ts';
import { finishJob, type Keep } from './finish.ts';
import { parseJson } from './rows.ts';

const STALLED_REASON = 'job stalled more than allowable limit';

/**
 * Recovers active jobs whose lock expired (their worker died or hung): back to wait, or failed once
 * they stalled more than `maxStalledCount` times. Throttled through the queue's `stalled-check`
 * meta field so that many workers share one sweep per interval.
 */
export function moveStalledJobsToWait(ctx: QueueCtx, now: number): string[] {
  const { store, queue, settings } = ctx;
  const last = Number(store.one<{ value: string }>(`SELECT value FROM meta WHERE queue = ? AND field = 'stalled-check'`, queue)?.value ?? 0);
  if (now < last + settings.stalledInterval / 2) return [];
  store.run(`INSERT OR REPLACE INTO meta (queue, field, value) VALUES (?, 'stalled-check', ?)`, queue, String(now));
  const stalled = store.all<{ id: string; stalled_counter: number; opts: string; repeat_job_key: string | null }>(
    `SELECT id, stalled_counter, opts, repeat_job_key FROM jobs
     WHERE queue = ? AND state = 'active' AND locked_until < ? ORDER BY locked_until LIMIT 1000`,
    queue, now,
  );
  for (const job of stalled) {
    emitEvent(ctx, 'stalled', { jobId: job.id });
    const count = job.stalled_counter + 1;
    if (count > settings.maxStalledCount && !job.repeat_job_key) {
      store.run('UPDATE jobs SET stalled_counter = ? WHERE queue = ? AND id = ?', count, queue, job.id);
      const keep = parseJson<{ removeOnFail?: Keep }>(job.opts, {}).removeOnFail;
      finishJob(ctx, {
        jobId: job.id, token: '0', target: 'failed', value: STALLED_REASON, keep,
        fetchNext: false, workerName: undefined, now,
      });
      continue;
    }
    store.run(
      `UPDATE jobs SET state = 'wait', seq = ?, stalled_counter = ?, lock_token = NULL, locked_until = NULL
       WHERE queue = ? AND id = ?`,
      store.reserve(queue, 'seq'), count, queue, job.id,
    );
    emitEvent(ctx, 'waiting', { jobId: job.id, prev: 'active' });
  }
  if (stalled.length > 0) wakeWorkers(ctx);
  return stalled.map((job) => job.id);
}

/** 1 when the lock is still ours and was extended, 0 otherwise. */
export function extendLock(ctx: QueueCtx, jobId: string, token: string, duration: number, now: number): number {
  return ctx.store.run(
    `UPDATE jobs SET locked_until = ? WHERE queue = ? AND id = ? AND state = 'active' AND lock_token = ?`,
    now + duration, ctx.queue, jobId, token,
  );
}
