import { randomUUID, createHash } from 'node:crypto';
import { inSpan, SpanKind, traceCarrier } from '../telemetry/index.ts';
import type { Registry } from 'prom-client';
import type { Logger } from '../shared/logger.ts';
import { silentLogger } from '../shared/logger.ts';
import { ValidationError } from '../shared/errors.ts';
import { isConnectionError, OutageLog } from '../shared/outage-log.ts';
import type { TaskBackend } from './backend.ts';
import { DEFAULT_QUEUES, type TaskDefinition } from './define.ts';
import { UnknownTaskError } from './errors.ts';
import { GroupHandle, TaskHandle, type HandleContext } from './handle.ts';
import { createTaskMetrics, type TaskMetrics } from './metrics.ts';
import { QueueSet, expiresAtFor, jobOptionsFor, type ApplyOptions, type TaskJob, type TaskQueue } from './queues.ts';
import { DEFAULT_RESULT_TTL_MS, ResultStore, type TaskEnvelope } from './results.ts';
import { buildChain, buildChord, type Signature } from './canvas.ts';

const QUEUE_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

export interface TaskSystemOptions {
  backend: TaskBackend;
  /** Task definitions to register up front (more with `register`). */
  tasks?: TaskDefinition[];
  /** Queue names the monitor lists and workers default to. */
  queues?: string[];
  logger?: Logger;
  /** prom-client registry for `ai_stack_tasks_*` metrics; omitted = no metrics. */
  registry?: Registry;
  /** Largest accepted JSON-encoded arguments (bytes). Default 512 KiB. */
  maxArgsBytes?: number;
}

/** A registered task, callable Celery-style. */
export interface BoundTask<A, R> {
  readonly definition: TaskDefinition<A, R>;
  delay(args: A): Promise<TaskHandle<R>>;
  applyAsync(args: A, opts?: ApplyOptions): Promise<TaskHandle<R>>;
  /** Signature for canvas; without args it takes its predecessor's result as arguments. */
  s(args?: A, opts?: ApplyOptions): Signature;
}

export interface TaskSystem extends HandleContext {
  readonly backend: TaskBackend;
  readonly logger: Logger;
  readonly metrics: TaskMetrics;
  readonly queueNames: readonly string[];
  register<A, R>(def: TaskDefinition<A, R>): BoundTask<A, R>;
  task<A, R>(def: TaskDefinition<A, R>): BoundTask<A, R>;
  definition(name: string): TaskDefinition | undefined;
  definitions(): TaskDefinition[];
  /** Enqueue by name with untyped arguments (admin, CLI, schedules); validated like `delay`. */
  send(name: string, args: unknown, opts?: ApplyOptions): Promise<TaskHandle>;
  result<R = unknown>(id: string): TaskHandle<R>;
  chain(...sigs: Signature[]): Promise<TaskHandle>;
  group(...sigs: Signature[]): Promise<GroupHandle>;
  chord(header: Signature[], callback: Signature): Promise<TaskHandle>;
  queue(name: string): TaskQueue;
  resultTtl(name: string): number;
  /** Logs an error from a queue or worker: connection problems once per outage (see OutageLog), others each time. */
  reportError(error: unknown, context: Record<string, unknown>): void;
  close(): Promise<void>;
}

export function createTaskSystem(opts: TaskSystemOptions): TaskSystem {
  const defs = new Map<string, TaskDefinition>();
  const outage = new OutageLog(opts.logger ?? silentLogger, `task backend (${opts.backend.kind})`);
  opts.backend.watchConnection?.({ error: (error) => outage.failed(error), ready: () => outage.recovered() });
  const reportError = (error: unknown, context: Record<string, unknown>): void => {
    if (isConnectionError(error)) outage.failed(error);
    else (opts.logger ?? silentLogger).error({ err: error, ...context }, 'task system error');
  };
  const queues = new QueueSet(opts.backend, reportError);
  const results = new ResultStore(opts.backend.store);
  const logger = opts.logger ?? silentLogger;
  const maxArgsBytes = opts.maxArgsBytes ?? 512 * 1024;
  const queueNames = new Set<string>(opts.queues ?? DEFAULT_QUEUES);
  const metrics = createTaskMetrics(opts.registry, () => [...queueNames].map((n) => queues.get(n)));

  function checkSize(name: string, args: unknown): void {
    const bytes = Buffer.byteLength(JSON.stringify(args) ?? '');
    if (bytes > maxArgsBytes)
      throw new ValidationError(`arguments of task "${name}" are ${bytes} bytes, more than the ${maxArgsBytes} allowed`, [{ field: '', message: 'too large' }]);
  }

  function signature(def: TaskDefinition, args: unknown, applyOpts: ApplyOptions, hasArgs: boolean): Signature {
    if (hasArgs) {
      def.validate(args);
      checkSize(def.name, args);
    }
    return { def, args, hasArgs, opts: applyOpts };
  }

  async function apply(def: TaskDefinition, args: unknown, applyOpts: ApplyOptions = {}): Promise<TaskHandle> {
    const valid = def.validate(args);
    checkSize(def.name, valid);
    const now = Date.now();
    const id = randomUUID();
    const key = def.dedupeKey(valid);
    const dedupeId = key === undefined ? undefined : `${def.name}:${createHash('sha1').update(key).digest('hex')}`;
    const expiresAt = expiresAtFor(applyOpts, now);
    const carried = traceCarrier();
    const envelope: TaskEnvelope = { task: def.name, args: valid, ...(expiresAt === undefined ? {} : { expiresAt }), ...(carried ? { trace: carried } : {}) };
    const queue = applyOpts.queue ?? def.queue;
    if (!QUEUE_NAME.test(queue))
      throw new ValidationError(`queue "${queue.slice(0, 80)}" is not a valid queue name`, [{ field: 'queue', message: 'must be a short lower-case name' }]);
    // A routed call makes the queue known, so the monitor lists it and lookups by id search it.
    queueNames.add(queue);
    const job = await inSpan(
      `send ${def.name}`,
      { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'ai-stack', 'messaging.destination.name': queue } },
      async () => {
        // The worker continues this span's trace: inject inside it, so the consumer's parent is the send.
        if (carried) envelope.trace = traceCarrier();
        return queues.get(queue).add(def.name, envelope, jobOptionsFor(def, id, applyOpts, now, dedupeId));
      },
    );
    metrics.enqueued(queue, def.name);
    // A deduplicated add hands back the job that already exists.
    return new TaskHandle(system, job.id ?? id, queue);
  }

  function bind<A, R>(def: TaskDefinition<A, R>): BoundTask<A, R> {
    return {
      definition: def,
      delay: (args) => apply(def, args) as Promise<TaskHandle<R>>,
      applyAsync: (args, o) => apply(def, args, o) as Promise<TaskHandle<R>>,
      s: (args, o = {}) => signature(def, args, o, args !== undefined),
    };
  }

  async function findJob(id: string, queue?: string): Promise<TaskJob | undefined> {
    const names = queue ? [queue] : [...queueNames];
    for (const name of names) {
      const job = await queues.get(name).getJob(id);
      if (job) return job;
    }
    return undefined;
  }

  const system: TaskSystem = {
    backend: opts.backend,
    logger,
    metrics,
    results,
    get queueNames() {
      return [...queueNames];
    },
    register(def) {
      const existing = defs.get(def.name);
      if (existing && existing !== (def as TaskDefinition)) throw new ValidationError(`task "${def.name}" is already registered`);
      defs.set(def.name, def);
      queueNames.add(def.queue);
      return bind(def);
    },
    task(def) {
      if (defs.get(def.name) !== (def as TaskDefinition)) throw new UnknownTaskError(def.name);
      return bind(def);
    },
    definition: (name) => defs.get(name),
    definitions: () => [...defs.values()],
    async send(name, args, o) {
      const def = defs.get(name);
      if (!def) throw new UnknownTaskError(name);
      return apply(def, args, o);
    },
    result: (id) => new TaskHandle(system, id),
    findJob,
    async lookup(id, queue) {
      const stored = await results.get(id);
      if (stored) return stored;
      const job = await findJob(id, queue);
      if (!job?.finishedOn || !(await job.isCompleted())) return null;
      const attempts = job.attemptsMade > 0 ? await results.attempts(id) : [];
      return {
        id,
        task: job.data.task,
        state: 'SUCCESS',
        result: job.returnvalue,
        attempts,
        finishedAt: job.finishedOn,
        ...(job.processedOn ? { startedAt: job.processedOn } : {}),
      };
    },
    async revoke(id, o) {
      await revokeTask(system, id, o);
    },
    chain: (...sigs) => buildChain(system, queues.flow(), sigs),
    async group(...sigs) {
      for (const s of sigs) if (!s.hasArgs) throw new ValidationError('every task in a group needs its arguments');
      return new GroupHandle(await Promise.all(sigs.map((s) => apply(s.def, s.args, s.opts))));
    },
    chord: (header, callback) => buildChord(system, queues.flow(), header, callback),
    queue: (name) => queues.get(name),
    resultTtl: (name) => defs.get(name)?.options.resultTtl ?? DEFAULT_RESULT_TTL_MS,
    reportError,
    async close() {
      await queues.close();
    },
  };
  for (const def of opts.tasks ?? []) system.register(def);
  return system;
}

async function revokeTask(system: TaskSystem, id: string, o: { terminate?: boolean; queue?: string }): Promise<void> {
  const job = await system.findJob(id, o.queue);
  const ttl = system.resultTtl(job?.data.task ?? '');
  await system.results.revoke(id, o.terminate ? 'terminate' : 'revoke', ttl);
  if (!job) return;
  const state = await job.getState();
  if (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
    // Removing can race with a worker taking the job; then the revocation marker stops it at start.
    const removed = await job.remove().then(
      () => true,
      () => false,
    );
    if (removed) await system.results.put({ id, task: job.data.task, state: 'REVOKED', attempts: [], finishedAt: Date.now() }, ttl);
  }
}
