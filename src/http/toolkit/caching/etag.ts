import { hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

const OPAQUE_TAG = /^[\x21\x23-\x7e]{1,200}$/;
const CODING_SUFFIX = /-(?:zstd|br|gzip)$/;
const ENTITY_TAG = /(W\/)?"([\x21\x23-\x7e]*)"/g;

/**
 * A validator for exact bytes: CRC-32 (zlib's, native) of the body's UTF-8 bytes, the same for a
 * string and its Buffer. An ETag only has to change when the representation does, not resist
 * forgery, so a 32-bit check is enough, as @fastify/etag's default 32-bit FNV-1a is. CRC-32 is 3×
 * faster than SHA-1 on a 3 KB page here (0.6 vs 1.7 µs), which was a third of the toolkit's
 * per-request cost. (Adding the byte length would cost another 0.4 µs for strings.)
 */
export function etagForBody(body: string | Buffer): string {
  return `"${crc32(body).toString(36)}"`;
}

/** A strong validator from a known resource version; anything that is not a safe opaque-tag is hashed. */
export function etagForVersion(version: string): string {
  return OPAQUE_TAG.test(version) ? `"v${version}"` : `"v${hash('sha1', version, 'base64url')}"`;
}

/**
 * RFC 9110 §13.1.2: If-None-Match uses the weak comparison, and `*` matches any current representation.
 * Our own coding suffix (`"tag-br"`) is ignored, so a validator obtained with one encoding works with another.
 */
export function ifNoneMatchMatches(header: string | undefined, currentEtag: string): boolean {
  if (header === undefined || header.length > 8192) return false;
  if (header.trim() === '*') return true;
  const current = opaque(currentEtag);
  if (current === null) return false;
  for (const match of header.matchAll(ENTITY_TAG)) {
    if ((match[2] ?? '').replace(CODING_SUFFIX, '') === current) return true;
  }
  return false;
}

function opaque(etag: string): string | null {
  const match = /^(?:W\/)?"([^"]*)"$/.exec(etag);
  return match?.[1] === undefined ? null : match[1].replace(CODING_SUFFIX, '');
}
