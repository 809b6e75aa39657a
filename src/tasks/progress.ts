import { ValidationError } from '../shared/errors.ts';

/** What a handler reports: a fraction 0..1, or counts of work done out of a total. */
export type ProgressInput = number | { done: number; total: number };

/** Progress as stored with the job (BullMQ's job progress, on both backends) and returned by the admin API. */
export interface TaskProgress {
  /** 0..1 */
  fraction: number;
  done?: number;
  total?: number;
  message?: string;
  /** Epoch ms of this report. */
  at: number;
}

const MAX_MESSAGE = 200;

export function toProgress(value: ProgressInput, message: string | undefined, now = Date.now()): TaskProgress {
  let fraction: number;
  let counts: { done: number; total: number } | undefined;
  if (typeof value === 'number') fraction = value;
  else {
    const { done, total } = value;
    if (!Number.isFinite(done) || !Number.isFinite(total) || done < 0 || total < 0)
      throw new ValidationError('progress needs finite, non-negative done and total');
    counts = { done, total };
    fraction = total === 0 ? 1 : done / total;
  }
  if (!Number.isFinite(fraction)) throw new ValidationError('progress must be a finite number');
  return {
    fraction: Math.min(1, Math.max(0, fraction)),
    ...counts,
    ...(message === undefined ? {} : { message: String(message).slice(0, MAX_MESSAGE) }),
    at: now,
  };
}

/** Reads a job's stored progress: ours, or a bare number some other producer wrote; anything else is no progress. */
export function readProgress(stored: unknown): TaskProgress | undefined {
  if (typeof stored === 'number' && Number.isFinite(stored)) return { fraction: Math.min(1, Math.max(0, stored > 1 ? stored / 100 : stored)), at: 0 };
  if (typeof stored !== 'object' || stored === null) return undefined;
  const p = stored as Partial<TaskProgress>;
  if (typeof p.fraction !== 'number' || !Number.isFinite(p.fraction)) return undefined;
  return {
    fraction: Math.min(1, Math.max(0, p.fraction)),
    ...(typeof p.done === 'number' && typeof p.total === 'number' ? { done: p.done, total: p.total } : {}),
    ...(typeof p.message === 'string' ? { message: p.message.slice(0, MAX_MESSAGE) } : {}),
    at: typeof p.at === 'number' ? p.at : 0,
  };
}

/**
 * Time left by linear extrapolation from the start of the attempt to the last report: the same figure the
 * console shows. Undefined before any progress (nothing to extrapolate from) or once done.
 */
export function estimateRemainingMs(progress: TaskProgress | undefined, startedAt: number | undefined): number | undefined {
  if (!progress || startedAt === undefined || progress.fraction <= 0 || progress.fraction >= 1 || progress.at <= startedAt) return undefined;
  const elapsed = progress.at - startedAt;
  return Math.round((elapsed * (1 - progress.fraction)) / progress.fraction);
}
