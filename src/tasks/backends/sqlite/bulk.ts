import type { JobJson } from 'bullmq';
import type { QueueCtx } from './context.ts';
import { countAppends, wakeWorkers } from './events.ts';
import type { SqlValue } from './store.ts';

/** Rows per multi-row INSERT: large enough to amortise the per-statement cost, far below SQLite's 32,766 parameters. */
const CHUNK = 256;
const JOB_COLUMNS = '(queue, id, seq, name, state, data, opts, priority, delay, timestamp, process_at)';

function placeholders(rows: number, columns: number): string {
  const row = `(${Array<string>(columns).fill('?').join(', ')})`;
  return Array<string>(rows).fill(row).join(', ');
}

/**
 * Whether `addBulk` can take the set-based path: jobs with counter ids, no parent, no
 * deduplication. Such jobs cannot collide with anything, so they need no per-job checks.
 */
export function isIndependent(entries: { job: JobJson; jobId: string; parentKeyOpts?: { parentKey?: string } }[]): boolean {
  return entries.every(({ job, jobId, parentKeyOpts }) => {
    const opts = (job.opts ?? {}) as Record<string, unknown>;
    return (
      !jobId &&
      !job.id &&
      !job.parent &&
      !parentKeyOpts?.parentKey &&
      !job.deduplicationId &&
      opts['deduplication'] === undefined &&
      opts['debounce'] === undefined
    );
  });
}

/** Inserts independent jobs with multi-row INSERTs (jobs and their added/waiting events); returns their ids in order. */
export function addIndependentJobs(ctx: QueueCtx, jobs: JobJson[], now: number): string[] {
  const { store, queue } = ctx;
  const firstId = store.reserve(queue, 'id', jobs.length);
  const firstSeq = store.reserve(queue, 'seq', jobs.length);
  const ids: string[] = [];
  let wake = false;
  store.writeEvents(); // events held earlier in this operation come first
  for (let start = 0; start < jobs.length; start += CHUNK) {
    const chunk = jobs.slice(start, start + CHUNK);
    const jobParams: SqlValue[] = [];
    const eventParams: SqlValue[] = [];
    chunk.forEach((job, i) => {
      const n = start + i;
      const id = String(firstId + n);
      const opts = (job.opts ?? {}) as Record<string, unknown>;
      const delay = Math.max(0, Number(job.delay ?? opts['delay'] ?? 0) || 0);
      const timestamp = Number(job.timestamp) || now;
      const seq = opts['lifo'] === true ? -(firstSeq + n) : firstSeq + n;
      const priority = Math.max(0, Math.floor(Number(job.priority ?? opts['priority'] ?? 0) || 0));
      const delayed = delay > 0;
      jobParams.push(
        queue,
        id,
        seq,
        job.name,
        delayed ? 'delayed' : 'wait',
        job.data ?? '{}',
        JSON.stringify(opts),
        priority,
        delay,
        timestamp,
        delayed ? timestamp + delay : null,
      );
      eventParams.push(
        queue,
        JSON.stringify(['event', 'added', 'jobId', id, 'name', job.name]),
        queue,
        JSON.stringify(delayed ? ['event', 'delayed', 'jobId', id, 'delay', String(timestamp + delay)] : ['event', 'waiting', 'jobId', id]),
      );
      ids.push(id);
      wake = true;
    });
    store.run(`INSERT INTO jobs ${JOB_COLUMNS} VALUES ${placeholders(chunk.length, 11)}`, ...jobParams);
    store.run(`INSERT INTO events (queue, fields) VALUES ${placeholders(chunk.length * 2, 2)}`, ...eventParams);
    countAppends(ctx, chunk.length * 2);
  }
  if (wake) wakeWorkers(ctx);
  return ids;
}
