import { serverNow } from './clock.ts';
import type { QueueCtx } from './context.ts';
import { emitEvent } from './events.ts';
import { rowToJobJson, type JobRow } from './rows.ts';

/** The worker's `[jobData, id, rateLimitDelay, delayUntil]` tuple. */
export type NextJobTuple = [ReturnType<typeof rowToJobJson> | null, string, number, number];

/** `setRateLimit` stores this many points so the window is closed whatever the limiter's max. */
export const FORCED_LIMIT = Number.MAX_SAFE_INTEGER;

interface QueueFlags {
  paused: boolean;
  /** Cached rate-limit look for the millisecond `windowChecked` (queues without a limiter only). */
  windowChecked?: number;
  windowDelay?: number;
  concurrency?: number;
  max?: number;
  duration?: number;
}

export function readFlags(ctx: QueueCtx): QueueFlags {
  const rows = ctx.store.all<{ field: string; value: string }>(
    `SELECT field, value FROM meta WHERE queue = ? AND field IN ('paused', 'concurrency', 'max', 'duration')`,
    ctx.queue,
  );
  const flags: QueueFlags = { paused: false };
  for (const { field, value } of rows) {
    if (field === 'paused') flags.paused = true;
    else if (field === 'concurrency' || field === 'max' || field === 'duration') {
      const n = Number(value);
      if (Number.isFinite(n) && n > 0) flags[field] = n;
    }
  }
  return flags;
}

/** Moves due delayed jobs to wait (the Redis `promoteDelayedJobs` step of moveToActive). */
export function promoteDueJobs(ctx: QueueCtx, now: number, limit = 1000): number {
  const { store, queue } = ctx;
  const due = store.all<{ id: string }>(
    `SELECT id FROM jobs WHERE queue = ? AND state = 'delayed' AND process_at <= ? ORDER BY process_at LIMIT ?`,
    queue,
    now,
    limit,
  );
  for (const { id } of due) {
    // A promoted job no longer has a delay (Redis resets it too).
    store.run(`UPDATE jobs SET state = 'wait', seq = ?, process_at = NULL, delay = 0 WHERE queue = ? AND id = ?`, store.reserve(queue, 'seq'), queue, id);
    emitEvent(ctx, 'waiting', { jobId: id, prev: 'delayed' });
  }
  return due.length;
}

export function nextDelayedAt(ctx: QueueCtx): number {
  return ctx.store.one<{ at: number | null }>(`SELECT MIN(process_at) AS at FROM jobs WHERE queue = ? AND state = 'delayed'`, ctx.queue)?.at ?? 0;
}

/** Remaining ms of a closed rate-limit window, or 0 when a job may start now. */
export function rateLimitDelay(ctx: QueueCtx, flags: QueueFlags, now: number): number {
  const window = ctx.store.one<{ points: number; expire_at: number }>('SELECT points, expire_at FROM rate_limit WHERE queue = ?', ctx.queue);
  if (!window || window.expire_at <= now) return 0;
  const max = ctx.settings.limiter?.max ?? flags.max;
  if (window.points >= FORCED_LIMIT || (max !== undefined && window.points >= max)) return window.expire_at - now;
  return 0;
}

/**
 * Promotes due delayed jobs and reads the queue's flags, at most once per millisecond per queue in
 * this process: a hundred claims in the same millisecond share one look. Writes that change the
 * flags in this process (pause, rate limit, meta) call `invalidateGate`; other processes' changes
 * are seen within a millisecond.
 */
function queueGate(ctx: QueueCtx, now: number): QueueFlags {
  const gates = gateCache.get(ctx.store) ?? new Map<string, { at: number; flags: QueueFlags }>();
  gateCache.set(ctx.store, gates);
  const cached = gates.get(ctx.queue);
  if (cached && cached.at === now) return cached.flags;
  promoteDueJobs(ctx, now);
  const flags = readFlags(ctx);
  gates.set(ctx.queue, { at: now, flags });
  return flags;
}

const gateCache = new WeakMap<object, Map<string, { at: number; flags: QueueFlags }>>();

export function invalidateGate(ctx: QueueCtx): void {
  gateCache.get(ctx.store)?.delete(ctx.queue);
}

/** Atomically claims the next job for `token` (call inside a transaction). */
export function claimNext(ctx: QueueCtx, token: string, workerName: string | undefined, now: number): NextJobTuple {
  const { store, queue, settings } = ctx;
  const flags = queueGate(ctx, now);
  if (flags.paused) return [null, '', 0, 0];
  if (flags.concurrency !== undefined) {
    const active = store.one<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE queue = ? AND state = 'active'`, queue);
    if ((active?.n ?? 0) >= flags.concurrency) return [null, '', 0, 0];
  }
  // Without a limiter the window only changes through Queue.rateLimit (which invalidates the gate),
  // so one look per millisecond is enough; with a limiter every claim counts and must look.
  const limited = settings.limiter !== undefined || flags.max !== undefined;
  const server = serverNow();
  const limitDelay = limited || flags.windowChecked !== now ? rateLimitDelay(ctx, flags, server) : (flags.windowDelay ?? 0);
  if (!limited) {
    flags.windowChecked = now;
    flags.windowDelay = limitDelay;
  }
  if (limitDelay > 0) return [null, '', limitDelay, 0];

  const row = store.one<JobRow>(
    `UPDATE jobs SET state = 'active', lock_token = ?, locked_until = ?, processed_on = ?,
       attempts_started = attempts_started + 1, processed_by = COALESCE(?, processed_by)
     WHERE queue = ? AND id = (SELECT id FROM jobs WHERE queue = ? AND state = 'wait' ORDER BY priority, seq LIMIT 1)
     RETURNING *`,
    token,
    server + settings.lockDuration,
    now,
    workerName ?? null,
    queue,
    queue,
  );
  if (!row) return [null, '', 0, nextDelayedAt(ctx)];

  const max = settings.limiter?.max ?? flags.max;
  const duration = settings.limiter?.duration ?? flags.duration;
  // A job that only comes to be failed (deferred failure) does not use up the rate limit.
  if (max !== undefined && duration !== undefined && row.deferred_failure === null) {
    store.run(
      `INSERT INTO rate_limit (queue, points, expire_at) VALUES (?, 1, ?)
       ON CONFLICT (queue) DO UPDATE SET
         points = CASE WHEN expire_at <= ? THEN 1 ELSE points + 1 END,
         expire_at = CASE WHEN expire_at <= ? THEN excluded.expire_at ELSE expire_at END`,
      queue,
      server + duration,
      server,
      server,
    );
  }
  emitEvent(ctx, 'active', { jobId: row.id, prev: 'waiting' });
  return [rowToJobJson(row), row.id, 0, 0];
}
