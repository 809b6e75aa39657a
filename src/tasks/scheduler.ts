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
  if (spec.every !== undefined && (!Number.isInteger(spec.every) || spec.every < 100 || spec.every > 366 * 86_400_000))
    issues.push({ field: 'every', message: 'must be an integer number of ms, at least 100' });
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
  if (issues.length > 0)
    throw new ValidationError(`invalid schedule "${String(spec.id).slice(0, 128)}": ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
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
    const same =
      current &&
      current.pattern === (repeat as { pattern?: string }).pattern &&
      Number(current.every ?? 0) === Number((repeat as { every?: number }).every ?? 0) &&
      (current.tz ?? undefined) === (repeat as { tz?: string }).tz &&
      JSON.stringify(current.template?.data) === JSON.stringify(data);
    // Re-upserting an unchanged scheduler is skipped: it would only churn the next delayed job.
    if (same) return;
    await queue.upsertJobScheduler(spec.id, repeat, {
      name: def.name,
      data,
      opts: {
        attempts: (def.options.retries?.max ?? 0) + 1,
        backoff: { type: 'ai-stack' },
        removeOnComplete: { age: 86_400, count: 1_000 },
        removeOnFail: { age: 7 * 86_400 },
      },
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

/**
 * Schedules from configuration (JSON text or an already parsed value), shape-checked here; the task
 * and its arguments are checked when a scheduler starts with them. Throws ValidationError.
 */
export function parseSchedules(input: unknown): ScheduleSpec[] {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new ValidationError('schedules are not valid JSON', [{ field: '', message: 'invalid JSON' }]);
    }
  }
  if (!Array.isArray(value) || value.length > 1_000)
    throw new ValidationError('schedules must be a JSON array (at most 1000 entries)', [{ field: '', message: 'not an array' }]);
  return value.map((raw: unknown, i) => {
    const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const issues: FieldIssue[] = [];
    const str = (k: string, required: boolean): string | undefined => {
      const v = o[k];
      if (v === undefined && !required) return undefined;
      if (typeof v !== 'string') issues.push({ field: `/${i}/${k}`, message: 'must be a string' });
      return typeof v === 'string' ? v : undefined;
    };
    const spec: ScheduleSpec = { id: str('id', true) ?? '', task: str('task', true) ?? '', args: o['args'] ?? {} };
    const cron = str('cron', false);
    const tz = str('tz', false);
    if (cron !== undefined) spec.cron = cron;
    if (tz !== undefined) spec.tz = tz;
    if (o['every'] !== undefined) {
      if (typeof o['every'] !== 'number') issues.push({ field: `/${i}/every`, message: 'must be a number of ms' });
      else spec.every = o['every'];
    }
    if (o['enabled'] !== undefined) spec.enabled = o['enabled'] === true;
    const unknown = Object.keys(o).filter((k) => !['id', 'task', 'args', 'cron', 'every', 'tz', 'enabled'].includes(k));
    if (unknown.length > 0) issues.push({ field: `/${i}`, message: `unknown fields: ${unknown.slice(0, 5).join(', ')}` });
    if (issues.length > 0) throw new ValidationError(`invalid schedule at index ${i}`, issues);
    return spec;
  });
}
