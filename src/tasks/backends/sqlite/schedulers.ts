import type { QueueCtx } from './context.ts';
import { emitEvent, wakeWorkers } from './events.ts';
import { Code, CodeError, parseJson } from './rows.ts';

interface SchedulerRow {
  id: string;
  name: string | null;
  next_millis: number | null;
  pattern: string | null;
  every: number | null;
  tz: string | null;
  start_date: number | null;
  end_date: number | null;
  limit_count: number | null;
  ic: number;
  offset_ms: number | null;
  template_data: string | null;
  template_opts: string | null;
}

export interface SchedulerOpts {
  name?: string;
  startDate?: number;
  endDate?: number;
  tz?: string;
  pattern?: string;
  every?: number;
  limit?: number;
  offset?: number | null;
}

type DelayedOpts = Record<string, unknown> & { repeat?: { offset?: number; every?: number }; priority?: number; timestamp?: number };

const iterationId = (schedulerId: string, millis: number | null): string => `repeat:${schedulerId}:${millis}`;

/** Next slot of an `every` scheduler, aligned to its offset: returns [next, offset]. */
function everyNext(prev: number | null, every: number, now: number, offset: number, start: number | null): [number, number] {
  let next: number;
  if (prev === null) {
    if (start !== null) next = Math.max(start, now);
    else {
      next = now;
      if (offset > 0) {
        next = Math.floor(now / every) * every + offset;
        if (next <= now) next += every;
      }
    }
  } else {
    next = prev + every;
    if (next < now) next = Math.floor(now / every) * every + every + offset;
  }
  return [next, offset ? offset : next - Math.floor(next / every) * every];
}

function getScheduler(ctx: QueueCtx, id: string): SchedulerRow | undefined {
  return ctx.store.one<SchedulerRow>('SELECT * FROM schedulers WHERE queue = ? AND id = ?', ctx.queue, id);
}

function jobExists(ctx: QueueCtx, id: string): boolean {
  return ctx.store.one('SELECT 1 AS x FROM jobs WHERE queue = ? AND id = ?', ctx.queue, id) !== undefined;
}

function insertIteration(
  ctx: QueueCtx,
  schedulerId: string,
  jobId: string,
  name: string,
  data: string,
  delayedOpts: DelayedOpts,
  next: number,
  now: number,
): number {
  const delay = Math.max(next - now, 0);
  const opts = { ...delayedOpts, delay, jobId };
  const seq = ctx.store.reserve(ctx.queue, 'seq');
  ctx.store.run(
    `INSERT OR REPLACE INTO jobs (queue, id, seq, name, state, data, opts, priority, delay, timestamp, process_at, repeat_job_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ctx.queue,
    jobId,
    seq,
    name,
    delay > 0 ? 'delayed' : 'wait',
    data || '{}',
    JSON.stringify(opts),
    Number(delayedOpts.priority ?? 0) || 0,
    delay,
    Number(delayedOpts.timestamp ?? now) || now,
    delay > 0 ? next : null,
    schedulerId,
  );
  emitEvent(ctx, 'added', { jobId, name });
  if (delay > 0) emitEvent(ctx, 'delayed', { jobId, delay: next });
  else emitEvent(ctx, 'waiting', { jobId });
  wakeWorkers(ctx);
  return delay;
}

/** `Queue.upsertJobScheduler`: (re)defines the scheduler and replaces its pending iteration. */
export function addJobScheduler(
  ctx: QueueCtx,
  id: string,
  nextMillis: number,
  templateData: string,
  templateOpts: unknown,
  opts: SchedulerOpts,
  delayedOpts: DelayedOpts,
  producerId: string | undefined,
  now: number,
): [string, number] {
  const existing = getScheduler(ctx, id);
  const prev = existing?.next_millis ?? null;
  let next = nextMillis;
  const offsetGiven = opts.offset != null || delayedOpts.repeat?.offset != null;
  let offset = Number(opts.offset ?? delayedOpts.repeat?.offset ?? 0) || 0;
  let everyChanged = false;
  if (opts.every) {
    let base = prev;
    if (prev !== null && existing?.every !== opts.every) {
      base = null;
      everyChanged = true;
    }
    [next, offset] = everyNext(base, opts.every, now, offset, opts.startDate ?? null);
    if (!offsetGiven && existing?.offset_ms != null) offset = existing.offset_ms;
  }
  let removed = false;
  if (prev !== null) {
    removed = ctx.store.run(`DELETE FROM jobs WHERE queue = ? AND id = ? AND state IN ('delayed', 'wait')`, ctx.queue, iterationId(id, prev)) > 0;
  }
  if (removed && opts.every && !everyChanged && prev !== null) next = prev;
  let jobId = iterationId(id, next);
  if (jobExists(ctx, jobId)) {
    if (opts.every) {
      next += opts.every;
      jobId = iterationId(id, next);
      if (jobExists(ctx, jobId)) throw new CodeError(Code.SchedulerJobSlotsBusy);
    } else if (!removed) throw new CodeError(Code.SchedulerJobIdCollision);
  }
  ctx.store.run(
    `INSERT OR REPLACE INTO schedulers (queue, id, name, next_millis, pattern, every, tz, start_date, end_date,
       limit_count, ic, offset_ms, template_data, template_opts, producer_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ctx.queue,
    id,
    opts.name ?? null,
    next,
    opts.pattern ?? null,
    opts.every ?? null,
    opts.tz ?? null,
    opts.startDate ?? null,
    opts.endDate ?? null,
    opts.limit ?? null,
    existing?.ic ?? 1,
    offset,
    templateData || '{}',
    JSON.stringify(templateOpts ?? {}),
    producerId ?? null,
  );
  const delay = insertIteration(ctx, id, jobId, opts.name ?? '', templateData, delayedOpts, next, now);
  return [jobId, delay];
}

/** Called by the worker that picked up iteration `producerId`: enqueues the following one (once). */
export function updateJobSchedulerNextMillis(
  ctx: QueueCtx,
  id: string,
  nextMillis: number,
  templateData: string,
  delayedOpts: DelayedOpts,
  producerId: string | undefined,
  now: number,
): string | null {
  const row = getScheduler(ctx, id);
  if (!row) return null;
  let next = nextMillis;
  let offset: number | null = null;
  const every = row.every ?? delayedOpts.repeat?.every;
  if (every) {
    [next, offset] = everyNext(row.next_millis, every, now, Number(row.offset_ms ?? delayedOpts.repeat?.offset ?? 0) || 0, row.start_date);
  }
  if (producerId !== iterationId(id, row.next_millis)) return null;
  const jobId = iterationId(id, next);
  if (jobExists(ctx, jobId)) {
    emitEvent(ctx, 'duplicated', { jobId });
    return null;
  }
  const newData = templateData && templateData !== '{}' ? templateData : null;
  ctx.store.run(
    `UPDATE schedulers SET next_millis = ?, ic = ic + 1, offset_ms = COALESCE(offset_ms, ?),
       template_data = COALESCE(?, template_data) WHERE queue = ? AND id = ?`,
    next,
    offset,
    newData,
    ctx.queue,
    id,
  );
  const data = row.template_data && row.template_data !== '{}' ? row.template_data : templateData;
  insertIteration(ctx, id, jobId, row.name ?? '', data, delayedOpts, next, now);
  return jobId;
}

/**
 * `Queue.removeJobScheduler`: the scheduler and its next run while that run is still delayed (with a
 * `removed` event, as Redis emits). A run already due — promoted, or waiting in a paused queue — is
 * left to run once, as on Redis: it is work the schedule has already released.
 */
export function removeJobScheduler(ctx: QueueCtx, id: string): number {
  const row = getScheduler(ctx, id);
  if (!row) return 0;
  ctx.store.run('DELETE FROM schedulers WHERE queue = ? AND id = ?', ctx.queue, id);
  const jobId = iterationId(id, row.next_millis);
  if (ctx.store.run(`DELETE FROM jobs WHERE queue = ? AND id = ? AND state = 'delayed'`, ctx.queue, jobId) > 0) {
    emitEvent(ctx, 'removed', { jobId, prev: 'delayed' });
  }
  return 1;
}

/** The Redis-compatible metadata hash of a scheduler (string values, absent fields omitted). */
export function schedulerHash(ctx: QueueCtx, id: string): { hash: Record<string, string>; next: string | null } | undefined {
  const row = getScheduler(ctx, id);
  if (!row) return undefined;
  const hash: Record<string, string> = {};
  const put = (key: string, value: string | number | null): void => {
    if (value !== null && value !== undefined) hash[key] = String(value);
  };
  put('name', row.name);
  put('ic', row.ic);
  put('limit', row.limit_count);
  put('startDate', row.start_date);
  put('endDate', row.end_date);
  put('tz', row.tz);
  put('pattern', row.pattern);
  put('every', row.every);
  put('offset', row.offset_ms);
  if (row.template_data && row.template_data !== '{}') hash['data'] = row.template_data;
  if (row.template_opts && JSON.stringify(parseJson(row.template_opts, {})) !== '{}') hash['opts'] = row.template_opts;
  return { hash, next: row.next_millis === null ? null : String(row.next_millis) };
}

export function schedulersRange(ctx: QueueCtx, start: number, end: number, asc: boolean): string[] {
  const limit = end < 0 ? -1 : end - start + 1;
  const rows = ctx.store.all<{ id: string; next_millis: number | null }>(
    `SELECT id, next_millis FROM schedulers WHERE queue = ? ORDER BY next_millis ${asc ? 'ASC' : 'DESC'}, id LIMIT ? OFFSET ?`,
    ctx.queue,
    limit,
    Math.max(0, start),
  );
  return rows.flatMap((row) => [row.id, String(row.next_millis ?? 0)]);
}
