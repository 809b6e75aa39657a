import { LRUCache } from 'lru-cache';
import type { CacheDriver, KeyInfo, KeyType, ScanPage } from '../driver.ts';
import { globToRegExp } from '../glob.ts';
import { ValidationError } from '../../shared/errors.ts';

type Stored =
  | { kind: 'string'; value: string; expiresAt: number }
  | { kind: 'hash'; value: Map<string, string>; expiresAt: number }
  | { kind: 'set'; value: Set<string>; expiresAt: number };

export interface MemoryDriverOptions {
  /** Upper bound on keys; least recently used keys are evicted past it. */
  maxEntries?: number;
}

/**
 * In-process driver: the embedded default when no Redis is configured, and the reference
 * implementation the conformance suite is written against. Expiry is lazy (checked on access and by
 * scans), so there are no timers and TTLs beyond 2^31-1 ms work.
 */
export class MemoryDriver implements CacheDriver {
  readonly name = 'memory';
  readonly #store: LRUCache<string, Stored>;

  constructor(options: MemoryDriverOptions = {}) {
    this.#store = new LRUCache({ max: options.maxEntries ?? 100_000 });
  }

  #live(key: string): Stored | undefined {
    const entry = this.#store.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= Date.now()) {
      this.#store.delete(key);
      return undefined;
    }
    return entry;
  }

  #of<K extends Stored['kind']>(key: string, kind: K): Extract<Stored, { kind: K }> | undefined {
    const entry = this.#live(key);
    if (entry === undefined) return undefined;
    if (entry.kind !== kind) throw new ValidationError(`WRONGTYPE key holds a ${entry.kind}, not a ${kind}`);
    return entry as Extract<Stored, { kind: K }>;
  }

  async get(key: string): Promise<string | undefined> {
    return this.#of(key, 'string')?.value;
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return keys.map((key) => {
      const entry = this.#live(key);
      return entry?.kind === 'string' ? entry.value : undefined;
    });
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#store.set(key, { kind: 'string', value, expiresAt: deadline(ttlMs) });
  }

  async setMany(entries: readonly { key: string; value: string; ttlMs?: number }[]): Promise<void> {
    for (const e of entries) this.#store.set(e.key, { kind: 'string', value: e.value, expiresAt: deadline(e.ttlMs) });
  }

  async add(key: string, value: string, ttlMs?: number): Promise<boolean> {
    if (this.#live(key) !== undefined) return false;
    await this.set(key, value, ttlMs);
    return true;
  }

  async delete(keys: readonly string[]): Promise<number> {
    let removed = 0;
    for (const key of keys) if (this.#live(key) !== undefined && this.#store.delete(key)) removed++;
    return removed;
  }

  async exists(key: string): Promise<boolean> {
    return this.#live(key) !== undefined;
  }

  async incrBy(key: string, by: number, ttlMsIfNew?: number): Promise<number> {
    if (!Number.isSafeInteger(by)) throw new ValidationError('increment must be a safe integer');
    const entry = this.#of(key, 'string');
    const current = entry === undefined ? 0 : Number(entry.value);
    if (entry !== undefined && !/^-?\d+$/.test(entry.value)) throw new ValidationError('value is not an integer');
    const next = current + by;
    if (!Number.isSafeInteger(next)) throw new ValidationError('increment would overflow');
    this.#store.set(key, { kind: 'string', value: String(next), expiresAt: entry?.expiresAt ?? deadline(ttlMsIfNew) });
    return next;
  }

  async expire(key: string, ttlMs: number | undefined): Promise<boolean> {
    const entry = this.#live(key);
    if (entry === undefined) return false;
    entry.expiresAt = deadline(ttlMs);
    return true;
  }

  async pttl(key: string): Promise<number> {
    const entry = this.#live(key);
    if (entry === undefined) return -2;
    return entry.expiresAt === 0 ? -1 : Math.max(0, entry.expiresAt - Date.now());
  }

  async scan(match: string, cursor: string, count: number): Promise<ScanPage> {
    // Offsets into a snapshot of the key list: fine for an in-process store, and stable enough for browsing.
    const re = globToRegExp(match);
    const all = [...this.#store.keys()];
    const start = Number(cursor) || 0;
    const end = Math.min(all.length, start + Math.max(1, count));
    const keys = all.slice(start, end).filter((k) => re.test(k) && this.#live(k) !== undefined);
    return { cursor: end >= all.length ? '0' : String(end), keys };
  }

  async deleteMatching(match: string): Promise<number> {
    const re = globToRegExp(match);
    let removed = 0;
    for (const key of [...this.#store.keys()]) if (re.test(key) && this.#store.delete(key)) removed++;
    return removed;
  }

  async info(keys: readonly string[]): Promise<KeyInfo[]> {
    return Promise.all(keys.map(async (key) => {
      const entry = this.#live(key);
      const type: KeyType = entry?.kind ?? 'none';
      let size: number | null = null;
      if (entry?.kind === 'string') size = Buffer.byteLength(entry.value);
      else if (entry !== undefined) size = [...entry.value.keys()].reduce((n, k) => n + Buffer.byteLength(k), 0);
      return { key, type, ttlMs: await this.pttl(key), sizeBytes: size };
    }));
  }

  async sAdd(key: string, members: readonly string[], ttlMs?: number): Promise<number> {
    let entry = this.#of(key, 'set');
    if (entry === undefined) {
      entry = { kind: 'set', value: new Set(), expiresAt: deadline(ttlMs) };
      this.#store.set(key, entry);
    }
    const before = entry.value.size;
    for (const m of members) entry.value.add(m);
    return entry.value.size - before;
  }

  async sRem(key: string, members: readonly string[]): Promise<number> {
    const entry = this.#of(key, 'set');
    if (entry === undefined) return 0;
    let removed = 0;
    for (const m of members) if (entry.value.delete(m)) removed++;
    if (entry.value.size === 0) this.#store.delete(key);
    return removed;
  }

  async sMembers(key: string): Promise<string[]> {
    return [...(this.#of(key, 'set')?.value ?? [])];
  }

  async sPop(key: string, count: number): Promise<string[]> {
    const entry = this.#of(key, 'set');
    if (entry === undefined) return [];
    const popped: string[] = [];
    for (const member of entry.value) {
      if (popped.length >= count) break;
      popped.push(member);
    }
    for (const member of popped) entry.value.delete(member);
    if (entry.value.size === 0) this.#store.delete(key);
    return popped;
  }

  /** One page with every member, as Redis does for small sets: offsets would skip members removed between pages. */
  async sScan(key: string, _cursor: string, _count: number): Promise<{ cursor: string; members: string[] }> {
    return { cursor: '0', members: [...(this.#of(key, 'set')?.value ?? [])] };
  }

  async sIsMember(key: string, member: string): Promise<boolean> {
    return this.#of(key, 'set')?.value.has(member) ?? false;
  }

  async sCard(key: string): Promise<number> {
    return this.#of(key, 'set')?.value.size ?? 0;
  }

  async hSet(key: string, fields: Readonly<Record<string, string>>): Promise<void> {
    let entry = this.#of(key, 'hash');
    if (entry === undefined) {
      entry = { kind: 'hash', value: new Map(), expiresAt: 0 };
      this.#store.set(key, entry);
    }
    for (const [f, v] of Object.entries(fields)) entry.value.set(f, v);
  }

  async hGet(key: string, field: string): Promise<string | undefined> {
    return this.#of(key, 'hash')?.value.get(field);
  }

  async hGetAll(key: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.#of(key, 'hash')?.value ?? []);
  }

  async hDel(key: string, fields: readonly string[]): Promise<number> {
    const entry = this.#of(key, 'hash');
    if (entry === undefined) return 0;
    let removed = 0;
    for (const f of fields) if (entry.value.delete(f)) removed++;
    if (entry.value.size === 0) this.#store.delete(key);
    return removed;
  }

  async hIncrBy(key: string, field: string, by: number): Promise<number> {
    if (!Number.isSafeInteger(by)) throw new ValidationError('increment must be a safe integer');
    const current = await this.hGet(key, field);
    if (current !== undefined && !/^-?\d+$/.test(current)) throw new ValidationError('hash value is not an integer');
    const next = Number(current ?? 0) + by;
    await this.hSet(key, { [field]: String(next) });
    return next;
  }

  async acquireLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return this.add(key, token, ttlMs);
  }

  async releaseLock(key: string, token: string): Promise<boolean> {
    if ((await this.get(key)) !== token) return false;
    this.#store.delete(key);
    return true;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#store.clear();
  }
}

function deadline(ttlMs: number | undefined): number {
  return ttlMs === undefined || ttlMs === Infinity ? 0 : Date.now() + Math.max(1, ttlMs);
}
