import type { JobType } from 'bullmq';
import { NotFoundError } from '../../shared/errors.ts';
import { stateOfJob } from '../handle.ts';
import { estimateRemainingMs, readProgress, type TaskProgress } from '../progress.ts';
import type { TaskJob } from '../queues.ts';
import type { TaskResultRecord, TaskState } from '../results.ts';
import type { TaskSystem } from '../system.ts';

export interface TaskListQuery {
  queue?: string;
  /** BullMQ state: waiting, active, delayed, completed, failed, prioritized, waiting-children. */
  state?: JobType;
  name?: string;
  /** Epoch ms bounds on the enqueue time. */
  since?: number;
  until?: number;
  /** Matches the id exactly, or a substring of the JSON arguments. */
  search?: string;
  limit?: number;
}

export interface TaskSummary {
  id: string;
  name: string;
  queue: string;
  state: string;
  args: unknown;
  enqueuedAt: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  attemptsMade: number;
  failedReason: string | undefined;
  /** The handler's last ctx.progress() report, if any, with the time-left estimate the console shows. */
  progress: (TaskProgress & { remainingMs?: number }) | undefined;
}

const STATES: JobType[] = ['active', 'waiting', 'prioritized', 'delayed', 'waiting-children', 'failed', 'completed'];
/** How many jobs per queue and state a search looks through: the monitor must stay cheap. */
const SCAN_LIMIT = 2_000;

export function summarize(job: TaskJob, state: string): TaskSummary {
  return {
    id: job.id ?? '',
    name: job.name,
    queue: job.queueName,
    state,
    args: job.data.args,
    enqueuedAt: job.timestamp,
    startedAt: job.processedOn ?? undefined,
    finishedAt: job.finishedOn ?? undefined,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason || undefined,
    progress: progressOf(job, state),
  };
}

function progressOf(job: TaskJob, state: string): TaskSummary['progress'] {
  const progress = readProgress(job.progress);
  if (!progress) return undefined;
  const remainingMs = state === 'active' ? estimateRemainingMs(progress, job.processedOn ?? undefined) : undefined;
  return remainingMs === undefined ? progress : { ...progress, remainingMs };
}

/** Flower's task list: newest first, filtered in memory over a bounded window of each state. */
export async function listTasks(system: TaskSystem, q: TaskListQuery): Promise<TaskSummary[]> {
  const limit = Math.min(Math.max(q.limit ?? 100, 1), 1_000);
  const queues = q.queue ? [q.queue] : [...system.queueNames];
  const states = q.state ? [q.state] : STATES;
  const needle = q.search?.toLowerCase();
  const out: TaskSummary[] = [];
  for (const name of queues) {
    const queue = system.queue(name);
    if (needle !== undefined) {
      const exact = await queue.getJob(q.search ?? '');
      if (exact) out.push(summarize(exact, await exact.getState()));
    }
    for (const state of states) {
      const jobs = (await queue.getJobs([state], 0, SCAN_LIMIT - 1, false)) as TaskJob[];
      for (const job of jobs) {
        if (!job) continue;
        if (q.name && job.name !== q.name) continue;
        if (q.since !== undefined && job.timestamp < q.since) continue;
        if (q.until !== undefined && job.timestamp > q.until) continue;
        if (
          needle !== undefined &&
          job.id !== q.search &&
          !JSON.stringify(job.data.args ?? null)
            .toLowerCase()
            .includes(needle)
        )
          continue;
        if (!out.some((t) => t.id === job.id)) out.push(summarize(job, state));
      }
    }
  }
  return out.sort((a, b) => b.enqueuedAt - a.enqueuedAt).slice(0, limit);
}

export interface TaskDetail extends TaskSummary {
  celeryState: TaskState;
  result: unknown;
  /** The failure (name and message) once the task failed or was revoked; null otherwise. */
  error: { name: string; message: string } | null;
  record: TaskResultRecord | null;
  attempts: TaskResultRecord['attempts'];
  stacktrace: string[];
  parent: string | undefined;
}

export async function taskDetail(system: TaskSystem, id: string): Promise<TaskDetail> {
  const job = await system.findJob(id);
  const record = await system.lookup(id);
  if (!job && !record) throw new NotFoundError(`task "${id}"`);
  const attempts = record?.attempts ?? (await system.results.attempts(id));
  const celeryState = record?.state ?? (await stateOfJob(job));
  const base: TaskSummary = job
    ? summarize(job, await job.getState())
    : {
        id,
        name: record?.task ?? '',
        queue: system.definition(record?.task ?? '')?.queue ?? '',
        state: 'removed',
        args: undefined,
        enqueuedAt: 0,
        startedAt: record?.startedAt,
        finishedAt: record?.finishedAt,
        attemptsMade: attempts.length,
        failedReason: record?.error?.message,
        progress: undefined,
      };
  const error = record?.error
    ? { name: record.error.name, message: record.error.message }
    : base.failedReason
      ? { name: 'Error', message: base.failedReason }
      : null;
  return {
    ...base,
    celeryState,
    result: record?.result ?? job?.returnvalue,
    error,
    record,
    attempts,
    stacktrace: job?.stacktrace ?? [],
    parent: job?.parentKey,
  };
}

export async function retryTask(system: TaskSystem, id: string): Promise<void> {
  const job = await system.findJob(id);
  if (!job) throw new NotFoundError(`task "${id}"`);
  await system.results.forget(id);
  await job.retry('failed');
}
