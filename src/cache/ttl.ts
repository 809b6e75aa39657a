import { ValidationError } from '../shared/errors.ts';

/** A duration: milliseconds as a number, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'2.5h'`, `'7d'`. */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?$/;
/** Ten years: longer TTLs are almost certainly unit mistakes, and Redis PX must stay a safe integer. */
export const MAX_TTL_MS = 10 * 365 * 86_400_000;

/** Parses a duration into whole milliseconds; `Infinity`/`undefined` mean "no expiry" for callers that allow it. */
export function parseDuration(value: Duration, field = 'ttl'): number {
  if (typeof value === 'number') {
    if (value === Infinity) return Infinity;
    if (!Number.isFinite(value) || value < 0)
      throw new ValidationError(`${field} must be a non-negative number of milliseconds`, [{ field, message: String(value) }]);
    return Math.min(Math.round(value), MAX_TTL_MS);
  }
  if (typeof value !== 'string' || value.length > 32)
    throw new ValidationError(`${field} must be a duration such as '5m'`, [{ field, message: 'not a duration' }]);
  const match = DURATION_RE.exec(value.trim());
  if (!match) throw new ValidationError(`${field} must be a duration such as '5m'`, [{ field, message: value }]);
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1);
  return Math.min(Math.round(ms), MAX_TTL_MS);
}

/** Like parseDuration but `undefined` falls back to a default. */
export function durationOr(value: Duration | undefined, fallback: number, field = 'ttl'): number {
  return value === undefined ? fallback : parseDuration(value, field);
}
