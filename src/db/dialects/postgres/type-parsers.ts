import pg from 'pg';

/**
 * pg type parsers that make PostgreSQL return the same JS values as SQLite does for the same
 * schema (see src/db/schema.ts): numbers for integers and exact sums, ISO-8601 strings for
 * timestamps, 'YYYY-MM-DD' for dates and raw JSON text for json/jsonb. Installed per pool, never
 * globally, so other pg users in the process keep their own parsing.
 */
const OID = { int8: 20, numeric: 1700, date: 1082, timestamp: 1114, timestamptz: 1184, json: 114, jsonb: 3802 } as const;

/** int8 → number while exact; beyond 2^53 the text is returned, since a rounded id or sum would be wrong. */
export function parseInt8(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
}

/** numeric → number when the decimal round-trips exactly (e.g. sums of cents), else the exact text. */
export function parseNumeric(text: string): number | string {
  const value = Number(text);
  const normalized = text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
  return Number.isFinite(value) && String(value) === normalized ? value : text;
}

/**
 * timestamptz text (`2026-11-30 23:22:37.123456+01`, any session time zone) → UTC ISO-8601 with
 * milliseconds, the form the app writes. `infinity` and out-of-range years come back unchanged.
 */
export function parseTimestamp(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2})?(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(text);
  if (!match) return text;
  const [, date, time, fraction = '', hours, minutes = '00'] = match;
  const millis = (fraction + '000').slice(1, 4);
  const zone = hours === undefined ? 'Z' : `${hours}:${minutes}`;
  const parsed = new Date(`${date}T${time}.${millis}${zone}`);
  return Number.isNaN(parsed.getTime()) ? text : parsed.toISOString();
}

const identity = (text: string): string => text;

const parsers = new Map<number, (text: string) => unknown>([
  [OID.int8, parseInt8],
  [OID.numeric, parseNumeric],
  [OID.date, identity],
  [OID.timestamp, (text) => parseTimestamp(text.includes('+') || /-\d{2}$/.test(text.slice(19)) ? text : `${text}+00`)],
  [OID.timestamptz, parseTimestamp],
  [OID.json, identity],
  [OID.jsonb, identity],
]);

/** The `types` option for `new pg.Pool(...)`. */
export const sharedTypeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (text: string) => unknown {
    const own = format === 'binary' ? undefined : parsers.get(oid);
    return own ?? (pg.types.getTypeParser(oid, format ?? 'text') as (text: string) => unknown);
  },
};
