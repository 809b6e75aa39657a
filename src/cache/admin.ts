import type { CacheCore } from './core.ts';
import type { KeyInfo } from './driver.ts';
import { assertPattern, globToRegExp } from './glob.ts';
import { unwrapEntry } from './envelope.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { CacheUnsupportedError } from './errors.ts';

/** Values larger than this are described, not returned, by the admin API. */
const MAX_VALUE_BYTES = 256 * 1024;
const MAX_MEMBERS = 1000;
export const MAX_BROWSE_COUNT = 1000;
export const MAX_DELETE_KEYS = 1000;

export interface BrowsePage {
  cursor: string;
  keys: KeyInfo[];
}

export interface KeyDetail extends KeyInfo {
  /** Logical expiry of a cache entry (ms epoch), 0 = none; absent for raw keys. */
  expiresAt?: number;
  value?: unknown;
  truncated: boolean;
}

/**
 * Read/delete access to the cache's own keyspace for operators (the Redis Commander role). Every
 * key must live under the cache's key prefix: the admin API cannot reach other modules' keys.
 */
export class CacheAdmin {
  readonly #core: CacheCore;

  constructor(core: CacheCore) {
    this.#core = core;
  }

  get keyPrefix(): string {
    return `${this.#core.keys.prefix}:`;
  }

  #own(key: string): string {
    if (typeof key !== 'string' || !key.startsWith(this.keyPrefix) || key.length > 4096) {
      throw new ValidationError(`key must start with "${this.keyPrefix}"`, [{ field: 'key', message: 'outside the cache keyspace' }]);
    }
    return key;
  }

  /** One SCAN page of keys matching `pattern` (relative to the key prefix) with type, TTL and size. */
  async browse(pattern: string, cursor: string, count: number): Promise<BrowsePage> {
    assertPattern(pattern);
    if (!/^\d{1,20}$/.test(cursor)) throw new ValidationError('cursor must be a SCAN cursor');
    const bounded = Math.min(Math.max(1, Math.trunc(count)), MAX_BROWSE_COUNT);
    const scanning = this.#core.need('scanning', 'the key browser');
    const page = await this.#core.l2('scan', () => scanning.scan(this.keyPrefix + pattern, cursor, bounded));
    const keys = await this.#core.l2('info', () => scanning.info(page.keys));
    return { cursor: page.cursor, keys };
  }

  async read(key: string): Promise<KeyDetail> {
    const full = this.#own(key);
    const { scanning, hashes, sets } = this.#core.caps;
    if (scanning === null) throw new CacheUnsupportedError('the key browser', this.#core.driver.name, 'scanning');
    const [info] = await this.#core.l2('info', () => scanning.info([full]));
    if (info === undefined || info.type === 'none') throw new NotFoundError(`cache key ${JSON.stringify(full)}`);
    if (info.sizeBytes !== null && info.sizeBytes > MAX_VALUE_BYTES) return { ...info, truncated: true };
    if (info.type === 'hash' && hashes !== null) return { ...info, value: await this.#core.l2('hgetall', () => hashes.hGetAll(full)), truncated: false };
    if (info.type === 'set' && sets !== null) {
      const members = await this.#core.l2('smembers', () => sets.sMembers(full));
      return { ...info, value: members.slice(0, MAX_MEMBERS), truncated: members.length > MAX_MEMBERS };
    }
    if (info.type !== 'string') return { ...info, truncated: true };
    const text = await this.#core.l2('get', (d) => d.get(full));
    if (text === undefined) throw new NotFoundError(`cache key ${JSON.stringify(full)}`);
    const unwrapped = unwrapEntry(text);
    if (unwrapped.kind === 'raw') return { ...info, value: text, truncated: false };
    try {
      return { ...info, expiresAt: unwrapped.expiresAt, value: toJsonSafe(this.#core.codec.decode(unwrapped.payload), 0), truncated: false };
    } catch {
      return { ...info, expiresAt: unwrapped.expiresAt, value: unwrapped.payload.slice(0, 4096), truncated: true };
    }
  }

  /** Deletes explicit keys (all tiers, all processes); returns how many existed in L2. */
  async delete(keys: readonly string[]): Promise<number> {
    if (keys.length === 0 || keys.length > MAX_DELETE_KEYS) throw new ValidationError(`give 1-${MAX_DELETE_KEYS} keys`);
    return this.#core.remove(keys.map((k) => this.#own(k)));
  }

  async deletePattern(pattern: string): Promise<number> {
    assertPattern(pattern);
    const scanning = this.#core.need('scanning', 'deleting keys by pattern');
    const match = this.keyPrefix + pattern;
    const re = globToRegExp(match);
    this.#core.l1?.deleteWhere((k) => re.test(k));
    const removed = await this.#core.l2('delete', () => scanning.deleteMatching(match));
    await this.#core.bus?.publish({ op: 'pattern', pattern: match });
    return removed;
  }
}

/** Makes decoded values serialisable for an HTTP response (Dates as ISO, BigInt as text, …). */
export function toJsonSafe(value: unknown, depth: number): unknown {
  if (depth > 32) return '[too deep]';
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Uint8Array) return { base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (value instanceof Map) return { map: [...value.entries()].map(([k, v]) => [toJsonSafe(k, depth + 1), toJsonSafe(v, depth + 1)]) };
  if (value instanceof Set) return { set: [...value].map((v) => toJsonSafe(v, depth + 1)) };
  if (Array.isArray(value)) return value.map((v) => toJsonSafe(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    Object.defineProperty(out, k, { value: toJsonSafe(v, depth + 1), enumerable: true, writable: true, configurable: true });
  return out;
}
