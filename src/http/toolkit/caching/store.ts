import { LRUCache } from 'lru-cache';
import { PurgeRetryingStore, type PurgeRetryOptions } from './purge-retry.ts';

/**
 * What the response cache needs from a cache backend. The cache module's tiered cache satisfies it;
 * `MemoryResponseStore` is the embedded default and the one tests use.
 */
export interface ResponseCacheStore {
  get(key: string): Promise<Buffer | undefined>;
  set(key: string, value: Buffer, options: { ttlMs: number; tags: readonly string[] }): Promise<void>;
  deleteByTag(tag: string): Promise<void>;
  /** True while a purge of one of these tags is still owed (it failed): entries carrying them are neither served nor stored. */
  isStale?(tags: readonly string[]): boolean;
  /** Stops background work (purge retries). */
  close?(): void;
}

export interface MemoryResponseStoreOptions {
  /** Total bytes kept; least recently used entries go first. Default 64 MiB. */
  maxBytes?: number;
}

/** In-process store: an LRU bounded by bytes, plus a tag → keys index kept in step with evictions. */
export class MemoryResponseStore implements ResponseCacheStore {
  readonly #entries: LRUCache<string, Buffer>;
  readonly #keysByTag = new Map<string, Set<string>>();
  readonly #tagsByKey = new Map<string, readonly string[]>();

  constructor(options: MemoryResponseStoreOptions = {}) {
    this.#entries = new LRUCache<string, Buffer>({
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (value) => Math.max(1, value.length),
      dispose: (_value, key) => this.#unindex(key),
    });
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.#entries.get(key);
  }

  async set(key: string, value: Buffer, options: { ttlMs: number; tags: readonly string[] }): Promise<void> {
    this.#entries.set(key, value, { ttl: Math.max(1, options.ttlMs) });
    if (!this.#entries.has(key)) return; // larger than the whole cache: not stored
    this.#tagsByKey.set(key, options.tags);
    for (const tag of options.tags) {
      let keys = this.#keysByTag.get(tag);
      if (keys === undefined) this.#keysByTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  async deleteByTag(tag: string): Promise<void> {
    const keys = this.#keysByTag.get(tag);
    if (keys === undefined) return;
    for (const key of [...keys]) this.#entries.delete(key);
    this.#keysByTag.delete(tag);
  }

  get size(): number {
    return this.#entries.size;
  }

  #unindex(key: string): void {
    const tags = this.#tagsByKey.get(key);
    if (tags === undefined) return;
    this.#tagsByKey.delete(key);
    for (const tag of tags) {
      const keys = this.#keysByTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.#keysByTag.delete(tag);
    }
  }
}

/** The part of a tag-aware cache (such as the cache module's `Cache`) the response cache can run on. */
export interface TaggedCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: Buffer, options: { ttl: number; tags: string[] }): Promise<void>;
  deleteByTag(tag: string): Promise<unknown>;
}

/**
 * Adapts a tag-aware cache to `ResponseCacheStore` (e.g. the cache module's L1 + Redis tiers, so all
 * nodes share entries and tag purges). Anything that does not come back as bytes is treated as a miss.
 */
export function responseStoreFromCache(cache: TaggedCache, options: PurgeRetryOptions = {}): ResponseCacheStore {
  // A distributed cache can fail; a purge it misses is retried and its tags count as stale until then.
  return new PurgeRetryingStore(
    {
      get: async (key) => {
        const value = await cache.get(key);
        if (Buffer.isBuffer(value)) return value;
        return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : undefined;
      },
      set: (key, value, options) => cache.set(key, value, { ttl: options.ttlMs, tags: [...options.tags] }),
      deleteByTag: async (tag) => {
        await cache.deleteByTag(tag);
      },
    },
    options,
  );
}
