import { createHash } from 'node:crypto';
import { ValidationError } from '../shared/errors.ts';

/**
 * Key naming (the seed's CacheStrategy): `<prefix>:<namespace>:v<version>:<key>`.
 * - namespace: `[A-Za-z0-9_.-]`, 1–64 characters, never `:`, so SCAN patterns stay exact; the prefix
 *   may also contain `:` (`app:cache`) but no glob characters.
 * - key: any non-empty string up to MAX_KEY_INPUT characters; keys longer than `maxKeyLength` are replaced
 *   by `h:<sha256 base64url>` so Redis memory and SCAN output stay bounded.
 * - with `hashTag: true` the namespace is wrapped in `{}` so a whole namespace lives in one Cluster slot
 *   (clear, tags and Lua scripts stay slot-safe).
 */
export interface KeyStrategyOptions {
  prefix: string;
  maxKeyLength?: number;
  hashTag?: boolean;
}

export const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
/** A prefix may contain `:` (e.g. `app:cache`) but no glob characters. */
export const PREFIX_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Hard ceiling on a caller's key before hashing: anything larger is hostile, not a cache key. */
export const MAX_KEY_INPUT = 64 * 1024;

export function assertName(value: string, field: string): void {
  if (typeof value !== 'string' || !NAME_RE.test(value)) {
    throw new ValidationError(`${field} must be 1-64 characters of A-Z a-z 0-9 _ . -`, [{ field, message: String(value).slice(0, 80) }]);
  }
}

export class KeyStrategy {
  readonly prefix: string;
  readonly maxKeyLength: number;
  readonly hashTag: boolean;

  constructor(options: KeyStrategyOptions) {
    if (typeof options.prefix !== 'string' || !PREFIX_RE.test(options.prefix)) {
      throw new ValidationError('keyPrefix must be 1-64 characters of A-Z a-z 0-9 _ . : -', [
        { field: 'keyPrefix', message: String(options.prefix).slice(0, 80) },
      ]);
    }
    this.prefix = options.prefix;
    this.maxKeyLength = options.maxKeyLength ?? 200;
    this.hashTag = options.hashTag ?? false;
  }

  /** Prefix shared by every key of one namespace version, ending in `:`. */
  namespacePrefix(namespace: string, version: number | string): string {
    const ns = this.hashTag ? `{${namespace}}` : namespace;
    return `${this.prefix}:${ns}:v${version}:`;
  }

  /** Pattern matching all versions of one namespace (for clear). */
  namespacePattern(namespace: string): string {
    const ns = this.hashTag ? `\\{${namespace}\\}` : namespace;
    return `${this.prefix}:${ns}:*`;
  }

  /** Validates and, when too long, hashes a caller-supplied key part. */
  normalize(key: string): string {
    if (typeof key !== 'string' || key.length === 0) throw new ValidationError('cache key must be a non-empty string', [{ field: 'key', message: 'empty' }]);
    if (key.length > MAX_KEY_INPUT) throw new ValidationError(`cache key is longer than ${MAX_KEY_INPUT} characters`, [{ field: 'key', message: 'too long' }]);
    return key.length > this.maxKeyLength ? `h:${hashText(key)}` : key;
  }

  /** Internal key (locks, tag index, versions) that never collides with namespaced entries. */
  internal(kind: string, name: string): string {
    return `${this.prefix}:__${kind}:${name}`;
  }
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32);
}

/** Stable text for function arguments: object keys sorted, so `{a,b}` and `{b,a}` hash the same. */
export function stableStringify(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (v instanceof Map) return { $map: [...v.entries()] };
      if (v instanceof Set) return { $set: [...v.values()] };
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const sorted: Record<string, unknown> = {};
        for (const k of Object.keys(v).sort()) Object.defineProperty(sorted, k, { value: (v as Record<string, unknown>)[k], enumerable: true });
        return sorted;
      }
      return v;
    }) ?? 'undefined'
  );
}

export function hashArgs(args: readonly unknown[]): string {
  return createHash('sha1').update(stableStringify(args)).digest('base64url').slice(0, 22);
}
