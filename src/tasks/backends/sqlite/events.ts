import type { QueueCtx } from './context.ts';

/**
 * Appends between two trims of a queue's event log. Finding the cut-off walks `maxLen` index
 * entries, so trimming every quarter of `maxLen` keeps that walk at a few entries per event.
 */
const trimEvery = (maxLen: number): number => Math.max(512, Math.floor(maxLen / 4));
const appendsSinceTrim = new WeakMap<object, Map<string, number>>();

/**
 * Appends one event to the queue's durable event log (the Redis events stream's role) and wakes
 * in-process QueueEvents readers once the surrounding transaction has been committed.
 */
export function emitEvent(ctx: QueueCtx, event: string, fields: Record<string, string | number> = {}): void {
  ctx.store.appendEvent(ctx.queue, flatten(event, fields));
  countAppends(ctx, 1);
}

/** A new job's `added` + `waiting`/`delayed` (both land in the operation's one events INSERT). */
export function emitEventPair(
  ctx: QueueCtx,
  first: string,
  firstFields: Record<string, string | number>,
  second: string,
  secondFields: Record<string, string | number>,
): void {
  ctx.store.appendEvent(ctx.queue, flatten(first, firstFields));
  ctx.store.appendEvent(ctx.queue, flatten(second, secondFields));
  countAppends(ctx, 2);
}

function flatten(event: string, fields: Record<string, string | number>): string {
  const flat: string[] = ['event', event];
  for (const [key, value] of Object.entries(fields)) flat.push(key, String(value));
  return JSON.stringify(flat);
}

/** Counts appended events and trims the log every so often. */
export function countAppends(ctx: QueueCtx, added: number): void {
  let counts = appendsSinceTrim.get(ctx.store);
  if (!counts) {
    counts = new Map();
    appendsSinceTrim.set(ctx.store, counts);
  }
  const n = (counts.get(ctx.queue) ?? 0) + added;
  counts.set(ctx.queue, n);
  if (n >= trimEvery(ctx.settings.maxLenEvents)) {
    counts.set(ctx.queue, 0);
    // The Queue records its `streams.events.maxLen` in the queue meta, as with Redis; a Worker's own
    // options usually lack it, so the meta value wins.
    const recorded = Number(ctx.store.one<{ value: string }>(`SELECT value FROM meta WHERE queue = ? AND field = 'opts.maxLenEvents'`, ctx.queue)?.value);
    trimEventLog(ctx, Number.isFinite(recorded) && recorded > 0 ? recorded : ctx.settings.maxLenEvents);
  }
  signal(ctx, `event:${ctx.queue}`);
}

/** Wakes the channel's waiters once the surrounding write is committed (see SqliteStore.signal). */
function signal(ctx: QueueCtx, channel: string): void {
  ctx.store.signal(channel);
}

/** Keeps the newest `maxLen` events of the queue; returns how many were removed. */
export function trimEventLog(ctx: QueueCtx, maxLen: number): number {
  ctx.store.writeEvents();
  const cutoff = ctx.store.one<{ id: number }>(
    'SELECT id FROM events WHERE queue = ? ORDER BY id DESC LIMIT 1 OFFSET ?',
    ctx.queue,
    Math.max(0, Math.floor(maxLen)),
  );
  if (!cutoff) return 0;
  return ctx.store.run('DELETE FROM events WHERE queue = ? AND id <= ?', ctx.queue, cutoff.id);
}

export interface StoredEvent {
  id: number;
  fields: string;
}

export function lastEventId(ctx: QueueCtx): number {
  ctx.store.writeEvents();
  return ctx.store.one<{ id: number | null }>('SELECT MAX(id) AS id FROM events WHERE queue = ?', ctx.queue)?.id ?? 0;
}

export function eventsAfter(ctx: QueueCtx, id: number, limit: number): StoredEvent[] {
  ctx.store.writeEvents();
  return ctx.store.all<StoredEvent>('SELECT id, fields FROM events WHERE queue = ? AND id > ? ORDER BY id LIMIT ?', ctx.queue, id, limit);
}

/** Tells in-process workers of `queue` that a job may be claimable (after the current transaction commits). */
export function wakeWorkers(ctx: QueueCtx, queue = ctx.queue): void {
  signal(ctx, `job:${queue}`);
}
