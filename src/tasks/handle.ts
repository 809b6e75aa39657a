import { TaskFailedError, TaskRevokedError, TaskTimeoutError } from './errors.ts';
import type { TaskJob } from './queues.ts';
import type { ResultStore, TaskResultRecord, TaskState } from './results.ts';

/** What a handle needs from the system; kept narrow so handles can be rebuilt from an id anywhere. */
export interface HandleContext {
  readonly results: ResultStore;
  /** The finished record: from the store (failure, revoked) or from BullMQ's completed job (success). */
  lookup(id: string, queue?: string): Promise<TaskResultRecord | null>;
  findJob(id: string, queue?: string): Promise<TaskJob | undefined>;
  revoke(id: string, opts: { terminate?: boolean; queue?: string }): Promise<void>;
}

export interface GetOptions {
  /** Milliseconds to wait; default 30 s. */
  timeout?: number;
}

/** Celery's AsyncResult: works for any id, in any process sharing the backend. */
export class TaskHandle<R = unknown> {
  readonly id: string;
  readonly queue: string | undefined;
  readonly #ctx: HandleContext;

  constructor(ctx: HandleContext, id: string, queue?: string) {
    this.#ctx = ctx;
    this.id = id;
    this.queue = queue;
  }

  async state(): Promise<TaskState> {
    const record = await this.#ctx.lookup(this.id, this.queue);
    if (record) return record.state;
    if (await this.#ctx.results.revocation(this.id)) return 'REVOKED';
    return stateOfJob(await this.#ctx.findJob(this.id, this.queue));
  }

  async ready(): Promise<boolean> {
    const s = await this.state();
    return s === 'SUCCESS' || s === 'FAILURE' || s === 'REVOKED';
  }

  /** The stored record (result or error, attempts, timings) once the task has finished. */
  async info(): Promise<TaskResultRecord | null> {
    return this.#ctx.lookup(this.id, this.queue);
  }

  /** Waits for the result; throws TaskFailedError, TaskRevokedError or TaskTimeoutError. */
  async get(opts: GetOptions = {}): Promise<R> {
    const timeout = opts.timeout ?? 30_000;
    const deadline = Date.now() + timeout;
    let pause = 5;
    for (let round = 0; ; round++) {
      const record = await this.#ctx.lookup(this.id, this.queue);
      if (record) return unwrap<R>(record);
      // A flow parent failed by its child never runs, so the store has nothing: ask BullMQ now and then.
      if (round % 8 === 7) {
        const job = await this.#ctx.findJob(this.id, this.queue);
        if (job && (await job.getState()) === 'failed' && !(await this.#ctx.results.get(this.id))) {
          throw new TaskFailedError(this.id, { name: 'Error', message: job.failedReason || 'failed' });
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new TaskTimeoutError(this.id, timeout);
      await new Promise((r) => setTimeout(r, Math.min(pause, left)));
      pause = Math.min(pause * 1.5, 200);
    }
  }

  async revoke(opts: { terminate?: boolean } = {}): Promise<void> {
    await this.#ctx.revoke(this.id, { ...opts, ...(this.queue === undefined ? {} : { queue: this.queue }) });
  }
}

function unwrap<R>(record: TaskResultRecord): R {
  if (record.state === 'SUCCESS') return record.result as R;
  if (record.state === 'REVOKED') throw new TaskRevokedError(record.id);
  throw new TaskFailedError(record.id, record.error ?? { name: 'Error', message: 'failed' });
}

/** Celery state of a job still known to BullMQ (no stored result yet). */
export async function stateOfJob(job: TaskJob | undefined): Promise<TaskState> {
  if (!job) return 'PENDING';
  const s = await job.getState();
  if (s === 'active') return 'STARTED';
  if (s === 'completed') return 'SUCCESS';
  if (s === 'failed') return 'FAILURE';
  if (s === 'delayed' && job.attemptsMade > 0) return 'RETRY';
  return 'PENDING';
}

/** Results of several tasks (a group), in the order they were given. */
export class GroupHandle<R = unknown> {
  readonly handles: TaskHandle<R>[];
  constructor(handles: TaskHandle<R>[]) {
    this.handles = handles;
  }
  get ids(): string[] {
    return this.handles.map((h) => h.id);
  }
  async ready(): Promise<boolean> {
    return (await Promise.all(this.handles.map((h) => h.ready()))).every(Boolean);
  }
  async get(opts: GetOptions = {}): Promise<R[]> {
    return Promise.all(this.handles.map((h) => h.get(opts)));
  }
  async revoke(opts: { terminate?: boolean } = {}): Promise<void> {
    await Promise.all(this.handles.map((h) => h.revoke(opts)));
  }
}
