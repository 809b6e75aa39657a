import { FlowProducer, Queue, type IQueueBackend, type Job, type JobsOptions } from 'bullmq';
import type { TaskBackend } from './backend.ts';
import type { TaskDefinition } from './define.ts';
import { DEFAULT_RESULT_TTL_MS, type TaskEnvelope } from './results.ts';

export type TaskQueue = Queue<TaskEnvelope, unknown, string, TaskEnvelope, unknown, string, IQueueBackend, unknown>;
export type TaskJob = Job<TaskEnvelope, unknown, string>;
export type TaskFlowProducer = FlowProducer<IQueueBackend, unknown>;

/**
 * A successful job *is* its result record: BullMQ keeps it (with `returnvalue`) for the task's
 * result TTL, so the hot path writes nothing extra. Failures and revocations go to the TaskStore.
 */
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 20_000 };

/** Lazily opened BullMQ queues and flow producer over one backend. */
export class QueueSet {
  readonly #backend: TaskBackend;
  readonly #onError: (error: unknown, context: Record<string, unknown>) => void;
  readonly #queues = new Map<string, TaskQueue>();
  #flow: TaskFlowProducer | undefined;

  constructor(backend: TaskBackend, onError: (error: unknown, context: Record<string, unknown>) => void = () => undefined) {
    this.#backend = backend;
    this.#onError = onError;
  }

  get(name: string): TaskQueue {
    let q = this.#queues.get(name);
    if (!q) {
      const { factory, connection, prefix } = this.#backend.bullmq;
      q = new Queue(name, { connection, prefix }, factory);
      // Without a listener BullMQ prints every connection error with its stack on stderr.
      q.on('error', (error) => this.#onError(error, { queue: name }));
      this.#queues.set(name, q);
    }
    return q;
  }

  flow(): TaskFlowProducer {
    if (!this.#flow) {
      const { factory, connection, prefix } = this.#backend.bullmq;
      this.#flow = new FlowProducer({ connection, prefix }, factory);
      this.#flow.on('error', (error) => this.#onError(error, { flow: true }));
    }
    return this.#flow;
  }

  opened(): TaskQueue[] {
    return [...this.#queues.values()];
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()].map((q) => q.close()));
    await this.#flow?.close();
    this.#queues.clear();
    this.#flow = undefined;
  }
}

export interface ApplyOptions {
  /** Run no earlier than this many milliseconds from now. */
  countdown?: number;
  /** Run no earlier than this time (wins over countdown). */
  eta?: Date;
  /** Drop the job unstarted after this time (a Date, or ms from now). */
  expires?: Date | number;
  priority?: number;
  /** Route this call to another queue than the task's own (Celery's `queue=`); a worker must consume it. */
  queue?: string;
}

/** BullMQ options for one job of `def`. */
export function jobOptionsFor(def: TaskDefinition, id: string, opts: ApplyOptions, now: number, dedupeId?: string): JobsOptions {
  const delay = opts.eta ? Math.max(0, opts.eta.getTime() - now) : Math.max(0, opts.countdown ?? 0);
  const priority = opts.priority ?? def.options.priority;
  const retries = def.options.retries?.max ?? 0;
  return {
    jobId: id,
    // Only tasks that retry carry retry options: every byte here is stored and parsed per job.
    ...(retries > 0 ? { attempts: retries + 1, backoff: { type: 'ai-stack' } } : {}),
    ...(delay > 0 ? { delay } : {}),
    ...(priority === undefined ? {} : { priority }),
    ...(dedupeId === undefined ? {} : { deduplication: { id: dedupeId } }),
    removeOnComplete: { age: Math.ceil((def.options.resultTtl ?? DEFAULT_RESULT_TTL_MS) / 1000) },
    removeOnFail: KEEP_FAILED,
  };
}

export function expiresAtFor(opts: ApplyOptions, now: number): number | undefined {
  if (opts.expires === undefined) return undefined;
  return opts.expires instanceof Date ? opts.expires.getTime() : now + opts.expires;
}
