import { randomUUID } from 'node:crypto';
import { CronExpressionParser } from 'cron-parser';
import { NotFoundError, ValidationError, type FieldIssue } from '../shared/errors.ts';
import type { TaskDefinition } from './define.ts';
import { UnknownTaskError } from './errors.ts';
import type { TaskEnvelope } from './results.ts';
import type { TaskSystem } from './system.ts';

/** A periodic task (Celery beat entry): exactly one of `cron` and `every`. */
export interface ScheduleSpec {
  id: string;
  task: string;
  args: unknown;
  /** 5- or 6-field cron expression, evaluated in `tz`. */
  cron?: string;
  /** Interval in milliseconds. */
  every?: number;
  /** IANA time zone for `cron`, e.g. `Europe/Berlin`. Default UTC. */
  tz?: string;
  enabled?: boolean;
}

export interface ScheduleView extends ScheduleSpec {
  queue: string;
  /** Epoch ms of the next run, when BullMQ has one planned. */
  next: number | undefined;
  /** `code` = as declared; `edited` = changed through the admin API (wins until deleted). */
  source: 'code' | 'edited';
}

const OVERRIDE = 'schedule:';

/** Builds a spec from a definition, so code-declared schedules are type-checked. */
export function schedule<A>(def: TaskDefinition<A, unknown>, spec: Omit<ScheduleSpec, 'task' | 'args'> & { args: A }): ScheduleSpec {
  return { ...spec, task: def.name };
}

export function validateSchedule(system: TaskSystem, spec: ScheduleSpec): TaskDefinition {
  const issues: FieldIssue[] = [];
  if (typeof spec.id !== 'string' || !/^[\w.:-]{1,128}$/.test(spec.id)) issues.push({ field: 'id', message: 'must be 1-128 characters of [A-Za-z0-9_.:-]' });
  if ((spec.cron === undefined) === (spec.every === undefined)) issues.push({ field: 'cron', message: 'give exactly one of cron and every' });
  if (spec.every !== undefined && (!Number.isInteger(spec.every) || spec.every < 100 || spec.every > 366 * 86_400_000)) issues.push({ field: 'every', message: 'must be an integer number of ms, at least 100' });
  if (spec.tz !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: spec.tz });
    } catch {
      issues.push({ field: 'tz', message: `unknown time zone "${spec.tz}"` });
    }
  }
  if (spec.cron !== undefined && issues.length === 0) {
    try {
      if (typeof spec.cron !== 'string' || spec.cron.length > 200) throw new Error('too long');
      CronExpressionParser.parse(spec.cron, { tz: spec.tz ?? 'UTC' });
    } catch {
      issues.push({ field: 'cron', message: `invalid cron expression "${String(spec.cron).slice(0, 60)}"` });
    }
  }
  if (issues.length > 0) throw new ValidationError(`invalid schedule "${String(spec.id).slice(0, 128)}"`, issues);
  const def = system.definition(spec.task);
  if (!def) throw new UnknownTaskError(spec.task);
  def.validate(spec.args);
  return def;
}

/** Declared schedules, admin overrides and their BullMQ job schedulers. */
export class Schedules {
  readonly #system: TaskSystem;
  readonly #declared = new Map<string, ScheduleSpec>();

  constructor(system: TaskSystem, declared: readonly ScheduleSpec[] = []) {
    this.#system = system;
    for (const spec of declared) {
      validateSchedule(system, spec);
      this.#declared.set(spec.id, spec);
    }
  }

  async #overrides(): Promise<Map<string, ScheduleSpec>> {
    const out = new Map<string, ScheduleSpec>();
    for (const { key, value } of await this.#system.backend.store.scan(OVERRIDE)) {
      try {
        out.set(key.slice(OVERRIDE.length), JSON.parse(value) as ScheduleSpec);
      } catch {
        // Unreadable override: ignore it, the code declaration still applies.
      }
    }
    return out;
  }

  async effective(): Promise<Array<ScheduleSpec & { source: 'code' | 'edited' }>> {
    const merged = new Map<string, ScheduleSpec & { source: 'code' | 'edited' }>();
    for (const [id, s] of this.#declared) merged.set(id, { ...s, source: 'code' });
    for (const [id, s] of await this.#overrides()) merged.set(id, { ...s, source: 'edited' });
    return [...merged.values()];
  }

  /** Makes BullMQ's job schedulers match the effective specs. Idempotent. */
  async sync(): Promise<void> {
    for (const spec of await this.effective()) {
      if (this.#system.definition(spec.task)) await this.#apply(spec);
    }
  }

  async #apply(spec: ScheduleSpec): Promise<void> {
    const def = validateSchedule(this.#system, spec);
    const queue = this.#system.queue(def.queue);
    if (spec.enabled === false) {
      await queue.removeJobScheduler(spec.id);
      return;
    }
    const repeat = spec.cron !== undefined ? { pattern: spec.cron, tz: spec.tz ?? 'UTC' } : { every: spec.every as number };
    const data: TaskEnvelope = { task: def.name, args: spec.args };
    const current = await queue.getJobScheduler(spec.id);
    const same = current && current.pattern === (repeat as { pattern?: string }).pattern && Number(current.every ?? 0) === Number((repeat as { every?: number }).every ?? 0)
      && (current.tz ?? undefined) === (repeat as { tz?: string }).tz && JSON.stringify(current.template?.data) === JSON.stringify(data);
    // Re-upserting an unchanged scheduler is skipped: it would only churn the next delayed job.
    if (same) return;
    await queue.upsertJobScheduler(spec.id, repeat, {
      name: def.name,
      data,
      opts: { attempts: (def.options.retries?.max ?? 0) + 1, backoff: { type: 'ai-stack' }, removeOnComplete: { age: 86_400, count: 1_000 }, removeOnFail: { age: 7 * 86_400 } },
    });
  }

  async list(): Promise<ScheduleView[]> {
    const out: ScheduleView[] = [];
    for (const spec of await this.effective()) {
      const def = this.#system.definition(spec.task);
      const queue = def?.queue ?? '?';
      const current = def ? await this.#system.queue(queue).getJobScheduler(spec.id) : undefined;
      out.push({ ...spec, queue, next: current?.next === undefined ? undefined : Number(current.next) });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Admin edit: stores the new spec (it wins over code until deleted) and applies it now. */
  async update(id: string, patch: Partial<Omit<ScheduleSpec, 'id'>>): Promise<ScheduleView> {
    const base = (await this.effective()).find((s) => s.id === id);
    if (!base && patch.task === undefined) throw new NotFoundError(`schedule "${id}"`);
    const { source: _source, ...rest } = base ?? { source: 'edited' as const };
    const next: ScheduleSpec = { ...(rest as Partial<ScheduleSpec>), ...patch, id } as ScheduleSpec;
    if (patch.cron !== undefined) delete next.every;
    if (patch.every !== undefined) delete next.cron;
    validateSchedule(this.#system, next);
    await this.#system.backend.store.set(OVERRIDE + id, JSON.stringify(next));
    await this.#apply(next);
    const view = (await this.list()).find((s) => s.id === id);
    if (!view) throw new NotFoundError(`schedule "${id}"`);
    return view;
  }

  /** Drops an admin edit (back to the code declaration) or an admin-created schedule. */
  async reset(id: string): Promise<void> {
    const spec = (await this.effective()).find((s) => s.id === id);
    if (!spec) throw new NotFoundError(`schedule "${id}"`);
    await this.#system.backend.store.delete(OVERRIDE + id);
    const declared = this.#declared.get(id);
    if (declared) await this.#apply(declared);
    else {
      const def = this.#system.definition(spec.task);
      if (def) await this.#system.queue(def.queue).removeJobScheduler(id);
    }
  }

  async runNow(id: string): Promise<string> {
    const spec = (await this.effective()).find((s) => s.id === id);
    if (!spec) throw new NotFoundError(`schedule "${id}"`);
    return (await this.#system.send(spec.task, spec.args)).id;
  }
}

export interface StartSchedulerOptions {
  schedules?: readonly ScheduleSpec[];
  /** Leader lease; another scheduler takes over this long after the leader dies. Default 15 s. */
  leaseMs?: number;
  /** How often the leader re-applies specs (picks up edits and heals deleted schedulers). */
  resyncMs?: number;
}

export interface SchedulerHandle {
  readonly schedules: Schedules;
  isLeader(): boolean;
  close(): Promise<void>;
}

const LEASE_KEY = 'scheduler:leader';

/**
 * Beat. BullMQ job schedulers create each tick's job under an id derived from the scheduler id and
 * the tick time, so a tick can never be enqueued twice; we add a leader lease so only one process
 * upserts at a time (concurrent upserts are where BullMQ has had duplicate-run bugs).
 */
export async function startScheduler(system: TaskSystem, opts: StartSchedulerOptions = {}): Promise<SchedulerHandle> {
  const schedules = new Schedules(system, opts.schedules);
  const store = system.backend.store;
  const me = randomUUID();
  const leaseMs = opts.leaseMs ?? 15_000;
  let leader = false;
  let lastSync = 0;
  let stopped = false;

  async function tick(): Promise<void> {
    leader = leader ? await store.refreshIfEquals(LEASE_KEY, me, leaseMs) : await store.setIfAbsent(LEASE_KEY, me, leaseMs);
    if (leader && Date.now() - lastSync >= (opts.resyncMs ?? 60_000)) {
      await schedules.sync();
      lastSync = Date.now();
    }
  }
  await tick();
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    if (stopped) return;
    running = tick().catch((err: unknown) => system.logger.warn({ err }, 'scheduler tick failed'));
  }, Math.max(50, Math.floor(leaseMs / 3)));
  system.logger.info({ leader }, 'task scheduler started');
  return {
    schedules,
    isLeader: () => leader,
    async close() {
      stopped = true;
      clearInterval(timer);
      await running;
      if (leader) await store.deleteIfEquals(LEASE_KEY, me);
      leader = false;
    },
  };
}
