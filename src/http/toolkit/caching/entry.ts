/** A stored response: status, the headers that describe the representation, and the exact body bytes. */
export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Headers worth replaying; anything per-request (dates, request ids, rate-limit counters) is left out. */
export const REPLAYED_HEADERS = ['content-type', 'content-encoding', 'content-language', 'etag', 'last-modified', 'cache-control', 'vary', 'location', 'link'];

// Layout: 4-byte big-endian length of the JSON head, the JSON head, then the body.
export function encodeEntry(entry: CachedResponse): Buffer {
  const head = Buffer.from(JSON.stringify({ s: entry.status, h: entry.headers }));
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(head.length, 0);
  return Buffer.concat([prefix, head, entry.body]);
}

/** Returns null for anything that does not decode (a foreign or corrupt value is treated as a miss). */
export function decodeEntry(value: Buffer): CachedResponse | null {
  if (value.length < 4) return null;
  const headLength = value.readUInt32BE(0);
  if (headLength > value.length - 4) return null;
  try {
    const head = JSON.parse(value.subarray(4, 4 + headLength).toString('utf8')) as { s?: unknown; h?: unknown };
    if (typeof head.s !== 'number' || typeof head.h !== 'object' || head.h === null) return null;
    const headers: Record<string, string> = {};
    for (const [name, text] of Object.entries(head.h)) if (typeof text === 'string') headers[name] = text;
    return { status: head.s, headers, body: value.subarray(4 + headLength) };
  } catch {
    return null;
  }
}
