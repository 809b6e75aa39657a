import { LRUCache } from 'lru-cache';
import type { FullCacheDriver, KeyInfo, KeyType, ScanPage } from '../driver.ts';
import { globToRegExp } from '../glob.ts';
import { ValidationError } from '../../shared/errors.ts';

type Stored = ({ kind: 'string'; value: string } | { kind: 'hash'; value: Map<string, string> } | { kind: 'set'; value: Set<string> }) & {
  expiresAt: number;
  seq: number;
};

type NewEntry = Stored extends infer S ? (S extends Stored ? Omit<S, 'seq'> : never) : never;

export interface MemoryDriverOptions {
  /** Upper bound on keys; least recently used keys are evicted past it. */
  maxEntries?: number;
}

/**
 * In-process driver: the embedded default when no Redis is configured, and the reference
 * implementation the conformance suite is written against. Expiry is lazy (checked on access and by
 * scans), so there are no timers and TTLs beyond 2^31-1 ms work.
 *
 * SCAN cursors are creation sequence numbers, not offsets: the LRU reorders keys on every read and
 * shifts them on every delete (expired keys included), so an offset cursor skipped live keys. Each
 * key gets a sequence number when it is created; `#log` lists keys in that order, and a cursor is
 * the last sequence number returned. A key present for the whole walk keeps its number, so it is
 * returned exactly once whatever happens between pages (Redis's SCAN guarantee).
 */
export class MemoryDriver implements FullCacheDriver {
  readonly name = 'memory';
  readonly #store: LRUCache<string, Stored>;
  /** Keys in creation order; records of deleted, evicted or re-created keys are skipped and compacted away. */
  #log: { seq: number; key: string }[] = [];
  #seq = 0;

  constructor(options: MemoryDriverOptions = {}) {
    this.#store = new LRUCache({ max: options.maxEntries ?? 100_000 });
  }

  /** Stores an entry, keeping the key's sequence number when it already exists. */
  #put(key: string, entry: NewEntry): Stored {
    const seq = this.#store.peek(key)?.seq ?? this.#append(key);
    const stored = { ...entry, seq };
    this.#store.set(key, stored);
    return stored;
  }

  #append(key: string): number {
    const seq = ++this.#seq;
    this.#log.push({ seq, key });
    // Stale records pile up as keys are deleted and evicted: rebuild once they outnumber live keys.
    if (this.#log.length > 2 * this.#store.size + 1024) {
      this.#log = [...this.#store.entries()].map(([k, e]) => ({ seq: e.seq, key: k })).sort((a, b) => a.seq - b.seq);
      this.#log.push({ seq, key });
    }
    return seq;
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
    this.#put(key, { kind: 'string', value, expiresAt: deadline(ttlMs) });
  }

  async setMany(entries: readonly { key: string; value: string; ttlMs?: number }[]): Promise<void> {
    for (const e of entries) this.#put(e.key, { kind: 'string', value: e.value, expiresAt: deadline(e.ttlMs) });
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
    this.#put(key, { kind: 'string', value: String(next), expiresAt: entry?.expiresAt ?? deadline(ttlMsIfNew) });
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
    if (!/^\d{1,20}$/.test(cursor)) throw new ValidationError('invalid cursor');
    const re = globToRegExp(match);
    const log = this.#log;
    const now = Date.now();
    const keys: string[] = [];
    let i = firstAfter(log, Number(cursor));
    for (let examined = 0; i < log.length && examined < Math.max(1, count); i++) {
      const { seq, key } = log[i] as { seq: number; key: string };
      // peek: a scan must not reorder the LRU or count as a use.
      const entry = this.#store.peek(key);
      if (entry === undefined || entry.seq !== seq) continue;
      examined++;
      if ((entry.expiresAt === 0 || entry.expiresAt > now) && re.test(key)) keys.push(key);
    }
    return { cursor: i >= log.length ? '0' : String((log[i - 1] as { seq: number }).seq), keys };
  }

  async deleteMatching(match: string): Promise<number> {
    const re = globToRegExp(match);
    const now = Date.now();
    let removed = 0;
    for (const [key, entry] of [...this.#store.entries()]) {
      if (!re.test(key)) continue;
      const live = entry.expiresAt === 0 || entry.expiresAt > now;
      if (this.#store.delete(key) && live) removed++;
    }
    return removed;
  }

  async info(keys: readonly string[]): Promise<KeyInfo[]> {
    return Promise.all(
      keys.map(async (key) => {
        const entry = this.#live(key);
        const type: KeyType = entry?.kind ?? 'none';
        let size: number | null = null;
        if (entry?.kind === 'string') size = Buffer.byteLength(entry.value);
        else if (entry !== undefined) size = [...entry.value.keys()].reduce((n, k) => n + Buffer.byteLength(k), 0);
        return { key, type, ttlMs: await this.pttl(key), sizeBytes: size };
      }),
    );
  }

  async sAdd(key: string, members: readonly string[], ttlMs?: number): Promise<number> {
    const entry = this.#of(key, 'set') ?? (this.#put(key, { kind: 'set', value: new Set(), expiresAt: deadline(ttlMs) }) as Extract<Stored, { kind: 'set' }>);
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
    const entry = this.#of(key, 'hash') ?? (this.#put(key, { kind: 'hash', value: new Map(), expiresAt: 0 }) as Extract<Stored, { kind: 'hash' }>);
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
    this.#log = [];
  }
}

/** Index of the first log record with a sequence number above `seq` (the log is sorted by it). */
function firstAfter(log: readonly { seq: number }[], seq: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((log[mid] as { seq: number }).seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function deadline(ttlMs: number | undefined): number {
  return ttlMs === undefined || ttlMs === Infinity ? 0 : Date.now() + Math.max(1, ttlMs);
}
