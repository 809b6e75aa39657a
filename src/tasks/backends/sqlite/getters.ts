import type { JobState, JobType } from 'bullmq';
import type { QueueCtx } from './context.ts';
import type { JobRow } from './rows.ts';

export function getState(ctx: QueueCtx, jobId: string): JobState | 'unknown' {
  const row = ctx.store.one<{ state: string; priority: number }>('SELECT state, priority FROM jobs WHERE queue = ? AND id = ?', ctx.queue, jobId);
  if (!row) return 'unknown';
  if (row.state === 'wait') return row.priority > 0 ? 'prioritized' : 'waiting';
  return row.state as JobState;
}

/** BullMQ 6 keeps waiting jobs in `wait` while paused (the pause is a flag), so `paused` is always empty. */
export function isJobInState(ctx: QueueCtx, state: string, jobId: string): boolean {
  const current = getState(ctx, jobId);
  if (state === 'wait' || state === 'waiting') return current === 'waiting';
  if (state === 'paused') return false;
  if (['active', 'completed', 'failed', 'delayed', 'waiting-children', 'prioritized'].includes(state)) return current === state;
  throw new Error(`Unknown job state: ${state}`);
}

/** Per-state counts; each is an index-only count over that state's partial index. */
const COUNT_SQL: Record<string, string> = {
  wait: `state = 'wait' AND priority = 0`,
  prioritized: `state = 'wait' AND priority > 0`,
  active: `state = 'active'`,
  delayed: `state = 'delayed'`,
  completed: `state = 'completed'`,
  failed: `state = 'failed'`,
  'waiting-children': `state = 'waiting-children'`,
};

export function getCounts(ctx: QueueCtx, types: (JobType | 'paused')[], delayedBefore?: number): number[] {
  return types.map((type) => {
    const key = type === 'waiting' ? 'wait' : type;
    if (key === 'delayed' && delayedBefore !== undefined) {
      return (
        ctx.store.one<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE queue = ? AND state = 'delayed' AND process_at < ?`, ctx.queue, delayedBefore)?.n ??
        0
      );
    }
    const where = COUNT_SQL[key];
    if (!where) return 0;
    return ctx.store.one<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE queue = ? AND ${where}`, ctx.queue)?.n ?? 0;
  });
}

export function getCountsPerPriority(ctx: QueueCtx, priorities: number[]): number[] {
  return priorities.map(
    (priority) =>
      ctx.store.one<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE queue = ? AND state = 'wait' AND priority = ?`, ctx.queue, priority)?.n ?? 0,
  );
}

/** Ordering of each state in processing (asc) order, as the Redis lists/sorted sets return them. */
const RANGE_SQL: Record<string, { where: string; order: string }> = {
  wait: { where: `state = 'wait' AND priority = 0`, order: 'seq' },
  prioritized: { where: `state = 'wait' AND priority > 0`, order: 'priority, seq' },
  active: { where: `state = 'active'`, order: 'processed_on, seq' },
  delayed: { where: `state = 'delayed'`, order: 'process_at, seq' },
  completed: { where: `state = 'completed'`, order: 'finished_on, seq' },
  failed: { where: `state = 'failed'`, order: 'finished_on, seq' },
  'waiting-children': { where: `state = 'waiting-children'`, order: 'seq' },
};

export function getRange(ctx: QueueCtx, type: string, start: number, end: number, asc: boolean): string[] {
  const key = type === 'waiting' ? 'wait' : type;
  const spec = RANGE_SQL[key];
  if (!spec) return [];
  const direction = asc ? '' : ' DESC';
  const order = spec.order
    .split(', ')
    .map((column) => column + direction)
    .join(', ');
  const offset = Math.max(0, start);
  const limit = end < 0 ? -1 : Math.max(0, end - offset + 1);
  if (limit === 0) return [];
  const ids = ctx.store
    .all<{ id: string }>(`SELECT id FROM jobs WHERE queue = ? AND ${spec.where} ORDER BY ${order} LIMIT ? OFFSET ?`, ctx.queue, limit, offset)
    .map((row) => row.id);
  // Redis lists (wait, active) come back tail-first for asc and BullMQ's getter reverses them.
  return asc && (key === 'wait' || key === 'active') ? ids.reverse() : ids;
}

type DepRow = { child_key: string; status: string; value: string | null };

export function dependencies(ctx: QueueCtx, jobId: string, status?: string, offset = 0, limit = -1): DepRow[] {
  return ctx.store.all<DepRow>(
    `SELECT child_key, status, value FROM deps WHERE parent_queue = ? AND parent_id = ?${status ? ' AND status = ?' : ''}
     ORDER BY child_key LIMIT ? OFFSET ?`,
    ...(status ? [ctx.queue, jobId, status, limit, offset] : [ctx.queue, jobId, limit, offset]),
  );
}

export function dependencyCounts(ctx: QueueCtx, jobId: string, types: string[]): number[] {
  const byStatus: Record<string, string> = { processed: 'processed', unprocessed: 'pending', ignored: 'ignored', failed: 'failed' };
  return types.map(
    (type) =>
      ctx.store.one<{ n: number }>(
        'SELECT COUNT(*) AS n FROM deps WHERE parent_queue = ? AND parent_id = ? AND status = ?',
        ctx.queue,
        jobId,
        byStatus[type] ?? type,
      )?.n ?? 0,
  );
}

export function getJobLogs(ctx: QueueCtx, jobId: string, start: number, end: number, asc: boolean): { logs: string[]; count: number } {
  const count = ctx.store.one<{ n: number }>('SELECT COUNT(*) AS n FROM logs WHERE queue = ? AND job_id = ?', ctx.queue, jobId)?.n ?? 0;
  const from = start < 0 ? Math.max(count + start, 0) : start;
  const to = end < 0 ? count + end : Math.min(end, count - 1);
  if (to < from) return { logs: [], count };
  const rows = ctx.store.all<{ row: string }>(
    `SELECT row FROM logs WHERE queue = ? AND job_id = ? ORDER BY idx ${asc ? 'ASC' : 'DESC'} LIMIT ? OFFSET ?`,
    ctx.queue,
    jobId,
    to - from + 1,
    from,
  );
  return { logs: rows.map((row) => row.row), count };
}

export function addLog(ctx: QueueCtx, jobId: string, line: string, keepLogs?: number): number {
  const next = ctx.store.one<{ idx: number | null }>('SELECT MAX(idx) AS idx FROM logs WHERE queue = ? AND job_id = ?', ctx.queue, jobId);
  ctx.store.run('INSERT INTO logs (queue, job_id, idx, row) VALUES (?, ?, ?, ?)', ctx.queue, jobId, (next?.idx ?? -1) + 1, line);
  if (keepLogs && keepLogs > 0) clearLogs(ctx, jobId, keepLogs);
  return ctx.store.one<{ n: number }>('SELECT COUNT(*) AS n FROM logs WHERE queue = ? AND job_id = ?', ctx.queue, jobId)?.n ?? 0;
}

export function clearLogs(ctx: QueueCtx, jobId: string, keepLogs?: number): void {
  if (!keepLogs || keepLogs <= 0) {
    ctx.store.run('DELETE FROM logs WHERE queue = ? AND job_id = ?', ctx.queue, jobId);
    return;
  }
  ctx.store.run(
    `DELETE FROM logs WHERE queue = ? AND job_id = ? AND idx NOT IN
       (SELECT idx FROM logs WHERE queue = ? AND job_id = ? ORDER BY idx DESC LIMIT ?)`,
    ctx.queue,
    jobId,
    ctx.queue,
    jobId,
    keepLogs,
  );
}

export function getMetrics(ctx: QueueCtx, kind: string, start: number, end: number): [string[], string[], number] {
  const row = ctx.store.one<{ count: number; prev_ts: number | null; prev_count: number; data: string }>(
    'SELECT count, prev_ts, prev_count, data FROM metrics WHERE queue = ? AND kind = ?',
    ctx.queue,
    kind,
  );
  if (!row) return [['0', '0', '0'], [], 0];
  const all = (JSON.parse(row.data) as number[]).map(String);
  const data = end < 0 ? all.slice(start, all.length + end + 1) : all.slice(start, end + 1);
  return [[String(row.count), String(row.prev_ts ?? 0), String(row.prev_count)], data, data.length];
}

export function jobRow(ctx: QueueCtx, jobId: string): JobRow | undefined {
  return ctx.store.one<JobRow>('SELECT * FROM jobs WHERE queue = ? AND id = ?', ctx.queue, jobId);
}
