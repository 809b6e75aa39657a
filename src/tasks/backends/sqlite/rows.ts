import type { JobJson } from 'bullmq';

/** A `jobs` row as node:sqlite returns it. */
export interface JobRow {
  queue: string;
  id: string;
  seq: number;
  name: string;
  state: string;
  data: string;
  opts: string;
  priority: number;
  delay: number;
  attempts_made: number;
  attempts_started: number;
  progress: string | null;
  returnvalue: string | null;
  failed_reason: string | null;
  stacktrace: string | null;
  deferred_failure: string | null;
  processed_by: string | null;
  timestamp: number;
  process_at: number | null;
  processed_on: number | null;
  finished_on: number | null;
  lock_token: string | null;
  locked_until: number | null;
  stalled_counter: number;
  dedup_id: string | null;
  repeat_job_key: string | null;
  parent: string | null;
  parent_key: string | null;
  pending_deps: number;
}

/** The columns state changes need: everything but the payload, result and error text (which may be large). */
export const HEAD_COLUMNS =
  'id, state, priority, seq, opts, attempts_made, lock_token, locked_until, dedup_id, repeat_job_key, parent, pending_deps, stalled_counter';
export type JobHead = Pick<
  JobRow,
  | 'id'
  | 'state'
  | 'priority'
  | 'seq'
  | 'opts'
  | 'attempts_made'
  | 'lock_token'
  | 'locked_until'
  | 'dedup_id'
  | 'repeat_job_key'
  | 'parent'
  | 'pending_deps'
  | 'stalled_counter'
>;

/** The parent reference BullMQ stores on a child (`idof`/`fpof`/… are the failure policies). */
export interface ParentRef {
  id: string;
  queueKey: string;
  fpof?: boolean;
  rdof?: boolean;
  idof?: boolean;
  cpof?: boolean;
}

export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function parentOf(row: Pick<JobRow, 'parent'>): ParentRef | undefined {
  const parent = parseJson<ParentRef | null>(row.parent, null);
  return parent && typeof parent.id === 'string' && typeof parent.queueKey === 'string' ? parent : undefined;
}

/** Maps a row to the JSON shape `Job.fromJSON` reads (the same one the Redis hash produces). */
export function rowToJobJson(row: JobRow): JobJson {
  const json: JobJson = {
    id: row.id,
    name: row.name,
    data: row.data,
    opts: parseJson(row.opts, {}),
    progress: parseJson(row.progress, 0),
    attemptsMade: row.attempts_made,
    attemptsStarted: row.attempts_started,
    stalledCounter: row.stalled_counter,
    timestamp: row.timestamp,
    delay: row.delay,
    priority: row.priority,
    failedReason: row.failed_reason ?? undefined!,
    stacktrace: row.stacktrace ?? '[]',
    returnvalue: row.returnvalue ?? 'null',
  };
  if (row.finished_on !== null) json.finishedOn = row.finished_on;
  if (row.processed_on !== null) json.processedOn = row.processed_on;
  if (row.failed_reason === null) delete (json as Partial<JobJson>).failedReason;
  const parent = parentOf(row);
  if (parent) json.parent = parent;
  if (row.parent_key) json.parentKey = row.parent_key;
  if (row.repeat_job_key) json.repeatJobKey = row.repeat_job_key;
  if (row.dedup_id) json.deduplicationId = row.dedup_id;
  if (row.deferred_failure) json.deferredFailure = row.deferred_failure;
  if (row.processed_by) json.processedBy = row.processed_by;
  return json;
}

/** BullMQ's numeric error codes (its `ErrorCode` enum), shared by every backend. */
export const Code = {
  JobNotExist: -1,
  JobLockNotExist: -2,
  JobNotInState: -3,
  JobPendingChildren: -4,
  ParentJobNotExist: -5,
  JobLockMismatch: -6,
  JobBelongsToJobScheduler: -8,
  JobHasFailedChildren: -9,
  SchedulerJobIdCollision: -10,
  SchedulerJobSlotsBusy: -11,
} as const;

/** Thrown inside a transaction to abort it with one of BullMQ's codes; the backend maps it to BullMQ's message. */
export class CodeError extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`code ${code}`);
    this.code = code;
  }
}
