import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { FieldIssue } from '../shared/errors.ts';
import { ValidationError } from '../shared/errors.ts';
import { TaskArgumentsError } from './errors.ts';
import type { ProgressInput } from './progress.ts';

/** The four queues of the original system; any other name also works if a worker listens to it. */
export const DEFAULT_QUEUES = ['documents', 'reports', 'emails', 'sync'] as const;

export type ErrorClass = abstract new (...args: never[]) => Error;

export interface RetryPolicy {
  /** Retries after the first attempt (0 = run once). */
  max: number;
  /** Exponential backoff: `delayMs * 2^(retry-1)`, capped at `maxMs`, with jitter (on by default). */
  backoff?: { delayMs?: number; maxMs?: number; jitter?: boolean };
  /** When set, only these error classes (or subclasses, or errors with the same `name`) are retried. */
  autoretryFor?: ErrorClass[];
}

export interface TaskContext {
  id: string;
  name: string;
  /** 1 for the first run, 2 for the first retry, … */
  attempt: number;
  /** Epoch ms when this attempt started (the instant rate limits were counted at). */
  startedAt: number;
  /** Fires on the soft time limit and on revoke({ terminate: true }); `signal.reason` says which. */
  signal: AbortSignal;
  /**
   * Reports how far the run is (a fraction 0..1, or `{ done, total }`) with an optional message. Stored with
   * the job, shown by `GET /admin/tasks/jobs/{id}` with a time-left estimate, and pushed by `/admin/events`.
   */
  progress(value: ProgressInput, message?: string): Promise<void>;
}

export type TaskHandler<A, R> = (args: A, ctx: TaskContext) => Promise<R> | R;

export interface TaskOptions<S extends TSchema> {
  /** typebox schema of the arguments; checked at enqueue time. */
  args: S;
  queue: string;
  retries?: RetryPolicy;
  /** Milliseconds. soft → the signal aborts; hard → the run is killed (requires `module`). */
  timeLimit?: { soft?: number; hard?: number };
  /** Global across all workers, per task name: at most `max` starts per `perMs` window. */
  rateLimit?: { max: number; perMs: number };
  /** BullMQ priority: 1 is the highest; omitted = before all prioritised jobs (FIFO). */
  priority?: number;
  /**
   * Deduplicate while a job with the same key is waiting or running: `true` keys on the
   * arguments, a function chooses the key.
   */
  dedupe?: boolean | ((args: Static<S>) => string);
  /** How long the result stays readable (ms). Default one day, like Celery's `result_expires`. */
  resultTtl?: number;
  /**
   * URL of a module that exports this definition. Required with a hard time limit: the handler
   * then runs in a worker thread that is terminated when the limit passes.
   */
  module?: string | URL;
}

export interface TaskDefinition<A = unknown, R = unknown> {
  readonly kind: 'ai-stack.task';
  readonly name: string;
  readonly queue: string;
  readonly options: Omit<TaskOptions<TSchema>, 'dedupe' | 'module'> & { module?: string };
  // Methods, not function-typed properties: that keeps TaskDefinition<Specific> assignable to
  // TaskDefinition<unknown> for registries, the same way Array<T> is.
  /** The deduplication key for these arguments, or undefined when the task does not deduplicate. */
  dedupeKey(args: A): string | undefined;
  handler(args: A, ctx: TaskContext): Promise<R> | R;
  /** Throws TaskArgumentsError; returns the arguments unchanged when they are valid. */
  validate(args: unknown): A;
}

const NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const MAX_LIMIT_MS = 7 * 24 * 3600_000;

function positive(field: string, value: number | undefined, issues: FieldIssue[], allowZero = false): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < (allowZero ? 0 : 1) || value > MAX_LIMIT_MS) issues.push({ field, message: 'must be a positive finite number' });
}

export function defineTask<S extends TSchema, R>(name: string, options: TaskOptions<S>, handler: TaskHandler<Static<S>, R>): TaskDefinition<Static<S>, R> {
  const issues: FieldIssue[] = [];
  if (!NAME.test(name) || name.length > 200) issues.push({ field: 'name', message: 'must be dotted lower_snake_case, e.g. "sync.cleanup_cache"' });
  if (!/^[a-z][a-z0-9_-]{0,63}$/.test(options.queue)) issues.push({ field: 'queue', message: 'must be a short lower-case name' });
  if (options.retries && (!Number.isInteger(options.retries.max) || options.retries.max < 0 || options.retries.max > 100))
    issues.push({ field: 'retries.max', message: 'must be an integer 0..100' });
  positive('retries.backoff.delayMs', options.retries?.backoff?.delayMs, issues, true);
  positive('retries.backoff.maxMs', options.retries?.backoff?.maxMs, issues, true);
  positive('timeLimit.soft', options.timeLimit?.soft, issues);
  positive('timeLimit.hard', options.timeLimit?.hard, issues);
  positive('rateLimit.perMs', options.rateLimit?.perMs, issues);
  positive('resultTtl', options.resultTtl, issues);
  if (options.rateLimit && (!Number.isInteger(options.rateLimit.max) || options.rateLimit.max < 1))
    issues.push({ field: 'rateLimit.max', message: 'must be a positive integer' });
  if (options.priority !== undefined && (!Number.isInteger(options.priority) || options.priority < 1 || options.priority > 2_097_152))
    issues.push({ field: 'priority', message: 'must be an integer 1..2097152' });
  if (options.timeLimit?.hard !== undefined && options.module === undefined)
    issues.push({
      field: 'module',
      message: 'a hard time limit needs `module` (import.meta.url of a module exporting this task) so it can run in a killable worker thread',
    });
  if (issues.length > 0) throw new ValidationError(`invalid definition of task "${name}"`, issues);

  const compiled = Compile(options.args);
  const { dedupe, module, ...rest } = options;
  const dedupeKey = (args: Static<S>): string | undefined => (dedupe === true ? JSON.stringify(args) : typeof dedupe === 'function' ? dedupe(args) : undefined);
  return {
    kind: 'ai-stack.task',
    name,
    queue: options.queue,
    options: { ...rest, ...(module === undefined ? {} : { module: String(module) }) },
    dedupeKey,
    handler,
    validate(args: unknown): Static<S> {
      if (compiled.Check(args)) return args;
      const found = fieldIssues([...compiled.Errors(args)]).slice(0, 20);
      throw new TaskArgumentsError(name, found.length > 0 ? found : [{ field: '', message: 'does not match the schema' }]);
    },
  };
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: unknown;
  message: string;
}

/** One issue per offending field, each named: a missing or unexpected property names itself, not its parent. */
function fieldIssues(errors: SchemaError[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const e of errors) {
    const params = (e.params ?? {}) as { requiredProperties?: string[]; additionalProperties?: string[] };
    if (e.keyword === 'required' && params.requiredProperties)
      for (const p of params.requiredProperties) out.push({ field: `${e.instancePath}/${p}`, message: 'is required' });
    else if (e.keyword === 'additionalProperties' && params.additionalProperties)
      for (const p of params.additionalProperties) out.push({ field: `${e.instancePath}/${p}`, message: 'is not an allowed property' });
    // `additionalProperties: false` also reports "schema is false" at the property: already said above.
    else if (e.keyword !== 'boolean') out.push({ field: e.instancePath, message: e.message });
  }
  return out;
}

export function isTaskDefinition(value: unknown): value is TaskDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'ai-stack.task';
}
