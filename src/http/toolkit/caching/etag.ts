import { hash } from 'node:crypto';
import xxhash from 'xxhash-wasm';

const OPAQUE_TAG = /^[\x21\x23-\x7e]{1,200}$/;
const CODING_SUFFIX = /-(?:zstd|br|gzip)$/;
const ENTITY_TAG = /(W\/)?"([\x21\x23-\x7e]*)"/g;

const hasher = await xxhash();
const encoder = new TextEncoder();
// Strings are encoded into one reused buffer (hashing is synchronous, so it is never shared); bigger ones get their own.
const SCRATCH_CHARS = 64 * 1024;
const scratch = new Uint8Array(SCRATCH_CHARS * 3);

function utf8(body: string): Uint8Array {
  if (body.length > SCRATCH_CHARS) return Buffer.from(body);
  return scratch.subarray(0, encoder.encodeInto(body, scratch).written);
}

/**
 * A strong validator for exact bytes: XXH64 of the body's UTF-8 bytes plus their length, the same for a
 * string and its Buffer. An ETag must change whenever the representation does: a 32-bit checksum
 * collides once in 4 billion changes (and CRC-32 collisions are trivial to build), answering 304 for a
 * changed body. Measured on a 3 KB body (`node bench/http/etag.ts`): 0.4 µs for a string, 0.3 µs for a
 * Buffer, vs 0.7 µs for the CRC-32 it replaces and 3 µs for SHA-1. The length is joined with `.`, never
 * `-`, so it cannot read as a coding suffix (a 423-byte body has length `br` in base 36).
 */
export function etagForBody(body: string | Buffer): string {
  const bytes = typeof body === 'string' ? utf8(body) : body;
  return `"${hasher.h64Raw(bytes).toString(36)}.${bytes.length.toString(36)}"`;
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
