import type { RedisClient } from '../shared/redis.ts';
import type { CacheCore } from './core.ts';
import type { CacheDriver } from './driver.ts';
import type { ChannelHandlers, PubSubChannel } from './bus.ts';
import type { CacheHealth, CacheStats, GetOrSetOptions, PruneResult, SetManyEntry, SetOptions } from './types.ts';
import { getOrSetEntry, type Loader } from './get-or-set.ts';
import { assertName } from './keys.ts';
import { assertPattern } from './glob.ts';
import { clearNamespace, deleteByGlob, expireEntry, getManyEntries, remainingTtl } from './operations.ts';
import { assertTags, deleteTagged, tagIndexKey } from './tags.ts';
import { durationOr, parseDuration, type Duration } from './ttl.ts';
import { wrapEntry } from './envelope.ts';
import { CounterHelper, HashHelper, SetHelper } from './helpers.ts';
import { pruneCache } from './prune.ts';
import { CacheAdmin } from './admin.ts';

/** See `Cache.channel()`. */
export interface ClusterChannel<M extends object> {
  /** Never throws: a failed publish is logged, and receivers resync after reconnecting. */
  publish(message: M): Promise<void>;
  close(): Promise<void>;
}

/** What a root cache owns besides its tiers: the Redis connections (none in-process). Views share them. */
export interface CacheConnections {
  readonly raw: RedisClient | null;
  /** Opens another pub/sub channel on the cache's connections; null in-process. */
  readonly openChannel: (<M extends object>(name: string, handlers: ChannelHandlers<M>) => Promise<PubSubChannel<M>>) | null;
  close(): Promise<void>;
}

const closeNothing = async (): Promise<void> => {};

/** Module-internal (not exported from index.ts): the driver behind a cache, for adapters such as the Keyv store. */
export let driverOf: (cache: Cache) => CacheDriver;

/**
 * The cache API. One instance per namespace view: `cache.namespace('users')` shares tiers, bus and
 * in-flight loads with its parent. Keys are `<prefix>:<namespace>:v<version>:<key>`.
 */
export class Cache {
  static {
    driverOf = (cache) => cache.#core.driver;
  }

  readonly #core: CacheCore;
  readonly name: string;
  readonly #connections: CacheConnections;

  constructor(core: CacheCore, namespace: string, connections: CacheConnections) {
    assertName(namespace, 'namespace');
    this.#core = core;
    this.name = namespace;
    this.#connections = connections;
  }

  /** A view on another namespace (same connections, owned by the root: the view's close() releases nothing). */
  namespace(name: string): Cache {
    return new Cache(this.#core, name, { ...this.#connections, close: closeNothing });
  }

  /** The underlying ioredis client for commands without a helper; null when running in-process only. */
  get raw(): RedisClient | null {
    return this.#connections.raw;
  }

  /** The full Redis key for a cache key (for raw commands and debugging). */
  async keyFor(key: string): Promise<string> {
    return this.#full(key);
  }

  #full(key: string): string | Promise<string> {
    const normalized = this.#core.keys.normalize(key);
    const prefix = this.#core.knownPrefix(this.name);
    return prefix !== undefined ? prefix + normalized : this.#core.prefixFor(this.name).then((p) => p + normalized);
  }

  #tagKey = (tag: string): string => tagIndexKey(this.#core.keys, this.name, tag);

  #tagKeys(tags: readonly string[] | undefined): readonly string[] {
    return assertTags(tags).map(this.#tagKey);
  }

  #ttl(ttl: Duration | undefined): number {
    return durationOr(ttl, this.#core.defaults.ttlMs);
  }

  get<T = unknown>(key: string): Promise<T | undefined> {
    // L1 hit fast path: no async function, no awaits — one already-resolved promise.
    const core = this.#core;
    const prefix = core.knownPrefix(this.name);
    if (prefix !== undefined && typeof key === 'string' && key.length > 0 && key.length <= core.keys.maxKeyLength) {
      const now = Date.now();
      const hit = core.l1?.peek(prefix + key, now);
      if (hit !== undefined && (hit.expiresAt === 0 || hit.expiresAt > now)) {
        core.counters.l1Hits++;
        return Promise.resolve(hit.value as T);
      }
      if (core.l1 !== null) core.counters.l1Misses++;
      const full = prefix + key;
      // L2 path as one promise layer over the driver's (no async frames): this keeps an L2 get near a raw GET.
      return core.readL2Value(full, now) as Promise<T | undefined>;
    }
    return this.#getMiss<T>(key);
  }

  async #getMiss<T>(key: string): Promise<T | undefined> {
    const full = await this.#full(key);
    const core = this.#core;
    const now = Date.now();
    const hit = core.l1?.peek(full, now);
    if (hit !== undefined && (hit.expiresAt === 0 || hit.expiresAt > now)) {
      core.counters.l1Hits++;
      return hit.value as T;
    }
    core.counters.l1Misses++;
    return (await core.readL2Value(full, now)) as T | undefined;
  }

  async has(key: string): Promise<boolean> {
    const full = await this.#full(key);
    const now = Date.now();
    const hit = this.#core.l1?.peek(full, now);
    if (hit !== undefined && (hit.expiresAt === 0 || hit.expiresAt > now)) return true;
    const l2 = await this.#core.readL2(full, now);
    return l2.state === 'fresh' || l2.state === 'raw';
  }

  async set<T>(key: string, value: T, options: SetOptions = {}): Promise<void> {
    const full = await this.#full(key);
    await this.#core.write(full, value, this.#ttl(options.ttl), durationOr(options.grace, this.#core.defaults.graceMs, 'grace'), this.#tagKeys(options.tags));
  }

  /** Sets only if the key is absent (in L2, or L1 when in-process only); true when written. */
  async add<T>(key: string, value: T, options: SetOptions = {}): Promise<boolean> {
    const full = await this.#full(key);
    const ttlMs = this.#ttl(options.ttl);
    const payload = this.#core.codec.encode(value);
    const expiresAt = ttlMs === Infinity ? 0 : Date.now() + ttlMs;
    const added = await this.#core.l2('add', (d) => d.add(full, wrapEntry(expiresAt, payload), ttlMs === Infinity ? undefined : ttlMs));
    if (added) {
      this.#core.rememberL1(full, this.#core.codec.decode(payload), expiresAt, payload.length);
      await this.#core.bus?.publish({ op: 'keys', keys: [full] });
    }
    return added;
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#core.remove([await this.#full(key)])) > 0;
  }

  async getMany<T = unknown>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return getManyEntries<T>(this.#core, await Promise.all(keys.map(async (k) => this.#full(k))));
  }

  async setMany<T>(entries: readonly SetManyEntry<T>[]): Promise<void> {
    const items = await Promise.all(
      entries.map(async (e) => ({
        full: await this.#full(e.key),
        value: e.value as unknown,
        ttlMs: this.#ttl(e.ttl),
        graceMs: durationOr(e.grace, this.#core.defaults.graceMs, 'grace'),
        tagKeys: this.#tagKeys(e.tags),
      })),
    );
    await this.#core.writeMany(items);
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.#core.remove(await Promise.all(keys.map(async (k) => this.#full(k))));
  }

  /** Atomic counter add (L2); the key's TTL applies only when the counter is created. */
  async incr(key: string, by = 1, options: { ttl?: Duration } = {}): Promise<number> {
    const counters = this.#core.need('counters', 'incr()');
    const full = await this.#full(key);
    this.#core.l1?.delete(full);
    const ttlMs = options.ttl === undefined ? undefined : parseDuration(options.ttl);
    return this.#core.l2('incr', () => counters.incrBy(full, by, ttlMs));
  }

  async decr(key: string, by = 1, options: { ttl?: Duration } = {}): Promise<number> {
    return this.incr(key, -by, options);
  }

  /** Gives the key a new remaining lifetime (`0` = stale now but still graced); false when missing. */
  async expire(key: string, ttl: Duration): Promise<boolean> {
    return expireEntry(this.#core, await this.#full(key), parseDuration(ttl));
  }

  /** Extends a key's life by `ttl` (default: the cache's default TTL) from now. */
  async touch(key: string, ttl?: Duration): Promise<boolean> {
    return this.expire(key, ttl ?? this.#core.defaults.ttlMs);
  }

  /** Remaining lifetime in ms; Infinity without expiry; undefined when missing or stale. */
  async ttl(key: string): Promise<number | undefined> {
    return remainingTtl(this.#core, await this.#full(key));
  }

  getOrSet<T>(key: string, loader: Loader<T>, options: GetOrSetOptions<T> = {}): Promise<T> {
    const core = this.#core;
    const prefix = core.knownPrefix(this.name);
    if (
      prefix !== undefined &&
      core.l1 !== null &&
      options.forceRefresh !== true &&
      typeof key === 'string' &&
      key.length > 0 &&
      key.length <= core.keys.maxKeyLength
    ) {
      const now = Date.now();
      const hit = core.l1.peek(prefix + key, now);
      if (hit !== undefined && (hit.expiresAt === 0 || hit.expiresAt > now)) {
        core.counters.l1Hits++;
        return Promise.resolve(hit.value as T);
      }
    }
    return this.#getOrSetMiss(key, loader, options);
  }

  async #getOrSetMiss<T>(key: string, loader: Loader<T>, options: GetOrSetOptions<T>): Promise<T> {
    const full = await this.#full(key);
    return getOrSetEntry(this.#core, full, loader, {
      ttlMs: this.#ttl(options.ttl),
      graceMs: durationOr(options.grace, this.#core.defaults.graceMs, 'grace'),
      tags: assertTags(options.tags),
      opts: options,
      tagKey: this.#tagKey,
    });
  }

  /** Removes every key of a namespace (default: this one), all versions, in every process. */
  async clear(namespace: string = this.name): Promise<number> {
    assertName(namespace, 'namespace');
    return clearNamespace(this.#core, namespace);
  }

  /** Invalidates this namespace at once by bumping its version (O(1); old keys expire by TTL). */
  async bumpVersion(): Promise<number> {
    return this.#core.bumpVersion(this.name);
  }

  async deleteByTag(tags: string | readonly string[]): Promise<number> {
    return deleteTagged(this.#core, this.#tagKeys(typeof tags === 'string' ? [tags] : tags));
  }

  /** Deletes keys of this namespace matching a glob (`user:*`), everywhere. SCAN + UNLINK, never KEYS. */
  async deleteByPattern(pattern: string): Promise<number> {
    assertPattern(pattern);
    return deleteByGlob(this.#core, await this.#core.prefixFor(this.name), pattern);
  }

  /** Typed hash helper: `cache.hash<{ views: number; title: string }>('post:1')`. */
  hash<T extends Record<string, string | number>>(key: string): HashHelper<T> {
    return new HashHelper<T>(this.#core, () => this.#full(key));
  }

  counter(key: string, options: { ttl?: Duration } = {}): CounterHelper {
    return new CounterHelper(this, key, options);
  }

  setOf<T extends string | number = string>(key: string): SetHelper<T> {
    return new SetHelper<T>(this.#core, () => this.#full(key));
  }

  /** Maintenance (scheduled `sync.cleanup_cache`): drop expired L1 entries and dangling tag-index members. */
  async prune(): Promise<PruneResult> {
    return pruneCache(this.#core);
  }

  /** Operator access to the cache keyspace (browse, read, delete); used by cacheAdminRoutes. */
  admin(): CacheAdmin {
    return new CacheAdmin(this.#core);
  }

  async health(): Promise<CacheHealth> {
    try {
      await this.#core.driver.ping();
      return this.#core.breaker.isOpen ? { ok: true, detail: 'recovering: circuit breaker open' } : { ok: true };
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
  }

  stats(): CacheStats {
    const core = this.#core;
    return {
      namespace: this.name,
      driver: core.driver.name,
      bus: core.bus !== null,
      circuitOpen: core.breaker.isOpen,
      l1: { enabled: core.l1 !== null, entries: core.l1?.size ?? 0, bytes: core.l1?.bytes ?? 0, evictions: core.l1?.evictions ?? 0 },
      counters: { ...core.counters },
    };
  }

  /**
   * A pub/sub channel to the other processes sharing this cache's Redis, for other modules' signals
   * (e.g. "these tables were written"), on the cache's connections. Messages are JSON objects;
   * malformed ones and our own echo never reach `onMessage`. Without Redis there is no other process
   * to tell, and the channel publishes nowhere.
   */
  async channel<M extends object>(name: string, handlers: ChannelHandlers<M>): Promise<ClusterChannel<M>> {
    assertName(name, 'channel name');
    const open = this.#connections.openChannel;
    if (open === null) return { publish: async () => {}, close: async () => {} };
    const channel = await open(name, handlers);
    return { publish: (message) => channel.publish(message), close: () => channel.close() };
  }

  /** Releases connections (Redis client and bus subscriber); on a namespace view it does nothing: the root owns them. */
  async close(): Promise<void> {
    await this.#connections.close();
  }
}
