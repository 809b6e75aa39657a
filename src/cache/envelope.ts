/**
 * How an entry is stored in L2: `\x02<expiresAt base36>\x02<codec payload>`. The logical expiry
 * travels with the value so a graced (physically kept, logically stale) entry can be recognised by
 * every process. Values without the marker were written by other clients (incr, raw commands).
 */
const MARK = '\u0002';

export function wrapEntry(expiresAt: number, payload: string): string {
  return `${MARK}${expiresAt.toString(36)}${MARK}${payload}`;
}

export type Unwrapped = { kind: 'entry'; expiresAt: number; payload: string } | { kind: 'raw'; text: string };

export function unwrapEntry(text: string): Unwrapped {
  if (text.charCodeAt(0) !== 2) return { kind: 'raw', text };
  const end = text.indexOf(MARK, 1);
  const expiresAt = end > 1 && end < 16 ? parseInt(text.slice(1, end), 36) : NaN;
  if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) return { kind: 'raw', text };
  return { kind: 'entry', expiresAt, payload: text.slice(end + 1) };
}

/** Values written by other clients: integers come back as numbers (counters), anything else as the string. */
export function rawValue(text: string): unknown {
  return /^-?\d{1,15}$/.test(text) ? Number(text) : text;
}
