import { hash } from 'node:crypto';

const OPAQUE_TAG = /^[\x21\x23-\x7e]{1,200}$/;
const CODING_SUFFIX = /-(?:zstd|br|gzip)$/;
const ENTITY_TAG = /(W\/)?"([\x21\x23-\x7e]*)"/g;

/** A strong validator for exact bytes: SHA-1 is the fastest digest Node ships natively (faster than fnv1a in JS on >2 KB). */
export function etagForBody(body: string | Buffer): string {
  return `"${hash('sha1', body, 'base64url')}"`;
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
