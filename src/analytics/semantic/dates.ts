import { ValidationError } from '../../shared/errors.ts';

export const GRAINS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type Grain = (typeof GRAINS)[number];

export const RELATIVE_RANGES = [
  'today',
  'yesterday',
  'last_7_days',
  'last_30_days',
  'last_90_days',
  'last_365_days',
  'this_week',
  'last_week',
  'this_month',
  'last_month',
  'this_quarter',
  'last_quarter',
  'this_year',
  'last_year',
  'year_to_date',
  'month_to_date',
  'quarter_to_date',
] as const;
export type RelativeRange = (typeof RELATIVE_RANGES)[number];

/** Inclusive calendar-day range, `YYYY-MM-DD`. */
export interface DayRange {
  from: string;
  to: string;
}

/** Dates outside this window are refused: a 10,000-year range is a mistake, and both engines' date types end at 9999. */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2199;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 for a `YYYY-MM-DD` string; throws a 400 naming `field` when it is not a real date in range. */
export function dayNumber(text: string, field: string): number {
  const match = ISO_DATE.exec(text);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  const day = Number(match?.[3]);
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  if (!match || check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new ValidationError(`${field} must be a calendar date YYYY-MM-DD, got ${JSON.stringify(text).slice(0, 40)}`, [
      { field, message: 'must be a date YYYY-MM-DD' },
    ]);
  }
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new ValidationError(`${field} ${text} is outside the supported years ${MIN_YEAR}–${MAX_YEAR}`, [
      { field, message: `year must be between ${MIN_YEAR} and ${MAX_YEAR}` },
    ]);
  }
  return Math.round(ms / 86_400_000);
}

export function isoOfDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** Today's date in a time zone (IANA name or UTC). */
export function todayIn(timeZone: string, now = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  return parts;
}

export function isTimeZone(name: string): boolean {
  if (name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function ymd(day: number): { y: number; m: number; d: number } {
  const date = new Date(day * 86_400_000);
  return { y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() };
}
const dayOf = (y: number, m: number, d: number) => Math.round(Date.UTC(y, m - 1, d) / 86_400_000);

/** The first day of the grain bucket holding `day` (weeks start on Monday, ISO 8601). */
export function bucketStart(day: number, grain: Grain): number {
  const { y, m } = ymd(day);
  switch (grain) {
    case 'day':
      return day;
    case 'week':
      return day - ((new Date(day * 86_400_000).getUTCDay() + 6) % 7);
    case 'month':
      return dayOf(y, m, 1);
    case 'quarter':
      return dayOf(y, Math.floor((m - 1) / 3) * 3 + 1, 1);
    case 'year':
      return dayOf(y, 1, 1);
  }
}

/** Adds whole grains (months keep their day-of-month start: bucket starts are always the 1st). */
export function addGrains(day: number, grain: Grain, count: number): number {
  const { y, m, d } = ymd(day);
  switch (grain) {
    case 'day':
      return day + count;
    case 'week':
      return day + 7 * count;
    case 'month':
      return dayOf(y, m + count, d);
    case 'quarter':
      return dayOf(y, m + 3 * count, d);
    case 'year':
      return dayOf(y + count, m, d);
  }
}

/** A relative range resolved against `today` (in the report's time zone). */
export function resolveRelative(range: RelativeRange, today: string): DayRange {
  const t = dayNumber(today, 'asOf');
  const span = (from: number, to: number): DayRange => ({ from: isoOfDay(from), to: isoOfDay(to) });
  const current = (grain: Grain) => span(bucketStart(t, grain), addGrains(bucketStart(t, grain), grain, 1) - 1);
  const previous = (grain: Grain) => {
    const start = addGrains(bucketStart(t, grain), grain, -1);
    return span(start, bucketStart(t, grain) - 1);
  };
  switch (range) {
    case 'today':
      return span(t, t);
    case 'yesterday':
      return span(t - 1, t - 1);
    case 'last_7_days':
      return span(t - 6, t);
    case 'last_30_days':
      return span(t - 29, t);
    case 'last_90_days':
      return span(t - 89, t);
    case 'last_365_days':
      return span(t - 364, t);
    case 'this_week':
      return current('week');
    case 'last_week':
      return previous('week');
    case 'this_month':
      return current('month');
    case 'last_month':
      return previous('month');
    case 'this_quarter':
      return current('quarter');
    case 'last_quarter':
      return previous('quarter');
    case 'this_year':
      return current('year');
    case 'last_year':
      return previous('year');
    case 'year_to_date':
      return span(bucketStart(t, 'year'), t);
    case 'month_to_date':
      return span(bucketStart(t, 'month'), t);
    case 'quarter_to_date':
      return span(bucketStart(t, 'quarter'), t);
  }
}

/**
 * The period a comparison looks at: the same number of days just before (previous_period), or the same dates one
 * year earlier (previous_year). Whole months/quarters/years map to whole months/quarters/years.
 */
export function previousRange(
  range: DayRange,
  compare: 'previous_period' | 'previous_year',
): { range: DayRange; shiftDays: number; shiftGrains?: { grain: Grain; count: number } } {
  const from = dayNumber(range.from, 'dateRange/from');
  const to = dayNumber(range.to, 'dateRange/to');
  if (compare === 'previous_year') {
    return {
      range: { from: isoOfDay(addGrains(from, 'year', -1)), to: isoOfDay(addGrains(to + 1, 'year', -1) - 1) },
      shiftDays: 0,
      shiftGrains: { grain: 'year', count: 1 },
    };
  }
  for (const grain of ['year', 'quarter', 'month'] as const) {
    if (bucketStart(from, grain) !== from || bucketStart(to + 1, grain) !== to + 1) continue;
    let count = 0;
    for (let d = from; d <= to; d = addGrains(d, grain, 1)) count++;
    const start = addGrains(from, grain, -count);
    return { range: { from: isoOfDay(start), to: isoOfDay(from - 1) }, shiftDays: 0, shiftGrains: { grain, count } };
  }
  const length = to - from + 1;
  return { range: { from: isoOfDay(from - length), to: isoOfDay(from - 1) }, shiftDays: length };
}
