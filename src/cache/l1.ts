import { LRUCache } from 'lru-cache';
import { parseDuration, type Duration } from './ttl.ts';

/** One L1 entry: the decoded value plus its logical deadline and the end of its grace window. */
export interface L1Entry {
  value: unknown;
  /** ms epoch after which the entry is stale; 0 = never. */
  expiresAt: number;
  /** ms epoch until which a stale entry may still be served on loader failure; >= expiresAt. */
  graceUntil: number;
  size: number;
}

export interface L1Options {
  /** Maximum number of entries (required bound, lru-cache #227). Default 10,000. */
  maxEntries?: number;
  /** Maximum total bytes, measured as the encoded size. Default 64 MiB. */
  maxBytes?: number;
  /** Entries larger than this stay in L2 only. Default 1 MiB. */
  maxEntryBytes?: number;
  /**
   * Longest an entry stays fresh in L1 regardless of its TTL: a safety net that bounds staleness if
   * an invalidation is ever missed (L2 still holds the full TTL). Default: no cap.
   */
  maxTtl?: Duration;
}

/**
 * The in-process tier. Expiry is lazy (compared on read, swept by prune) instead of lru-cache's TTL
 * timers, so there is no per-entry setTimeout and no 2^31-1 ms overflow (BentoCache #61).
 */
export class L1Store {
  readonly #lru: LRUCache<string, L1Entry>;
  readonly maxEntryBytes: number;
  readonly #maxTtlMs: number;
  evictions = 0;

  constructor(options: L1Options = {}) {
    this.maxEntryBytes = options.maxEntryBytes ?? 1024 * 1024;
    this.#maxTtlMs = options.maxTtl === undefined ? Infinity : parseDuration(options.maxTtl, 'l1.maxTtl');
    this.#lru = new LRUCache<string, L1Entry>({
      max: options.maxEntries ?? 10_000,
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (entry) => Math.max(1, entry.size),
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    });
  }

  /** The entry if present and within its grace window (the caller decides whether stale is usable). */
  peek(key: string, now: number): L1Entry | undefined {
    const entry = this.#lru.get(key);
    if (entry === undefined) return undefined;
    if (entry.graceUntil !== 0 && entry.graceUntil <= now) {
      this.#lru.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, entry: L1Entry): void {
    if (entry.size > this.maxEntryBytes) {
      this.#lru.delete(key);
      return;
    }
    if (this.#maxTtlMs !== Infinity) {
      const cap = Date.now() + this.#maxTtlMs;
      if (entry.expiresAt === 0 || entry.expiresAt > cap) entry.expiresAt = cap;
    }
    this.#lru.set(key, entry);
  }

  delete(key: string): boolean {
    return this.#lru.delete(key);
  }

  /** Removes every key accepted by the predicate; returns how many. */
  deleteWhere(predicate: (key: string) => boolean): number {
    let removed = 0;
    for (const key of [...this.#lru.keys()]) if (predicate(key) && this.#lru.delete(key)) removed++;
    return removed;
  }

  /** Drops entries whose grace window has passed; returns how many. */
  prune(now: number): number {
    let removed = 0;
    for (const [key, entry] of [...this.#lru.entries()]) {
      if (entry.graceUntil !== 0 && entry.graceUntil <= now && this.#lru.delete(key)) removed++;
    }
    return removed;
  }

  clear(): void {
    this.#lru.clear();
  }

  get size(): number {
    return this.#lru.size;
  }

  get bytes(): number {
    return this.#lru.calculatedSize;
  }
}
