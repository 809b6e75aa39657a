import type { Duration } from './ttl.ts';

export interface SetOptions {
  /** Time to live; default is the cache's `defaultTtl`. `Infinity` = no expiry. */
  ttl?: Duration;
  /** How long past its TTL a value is kept to be served if the loader fails. */
  grace?: Duration;
  /** Tags for deleteByTag. */
  tags?: readonly string[];
}

export interface LockOptions {
  /** Lease length: the lock frees itself if its holder dies. Default 10 s. */
  ttl?: Duration;
  /** How long a waiter polls for the holder's value before loading itself. Default = lease length. */
  waitTimeout?: Duration;
}

export interface LoaderContext<T> {
  readonly key: string;
  /** The stale (graced) value, if one exists. */
  readonly stale: T | undefined;
  setTtl(ttl: Duration): void;
  setTags(tags: readonly string[]): void;
  /** Do not cache this result. */
  skip(): void;
}

export interface GetOrSetOptions<T> extends SetOptions {
  /** Serve a stale value at once and refresh in the background. */
  staleWhileRevalidate?: boolean;
  /** With a stale value available: wait this long for the loader, then serve stale (the load continues). */
  softTimeout?: Duration;
  /** Give up waiting after this long: stale value if any, else CacheLoaderTimeoutError (the load continues). */
  hardTimeout?: Duration;
  /** Distributed lease lock so one process in the cluster loads; true uses defaults. */
  lock?: boolean | LockOptions;
  /** Skip both tiers and reload. */
  forceRefresh?: boolean;
  /** Return false to keep a result out of the cache (e.g. empty lists, error payloads). */
  shouldCache?: (value: T) => boolean;
}

export interface SetManyEntry<T = unknown> extends SetOptions {
  key: string;
  value: T;
}

export interface CacheHealth {
  ok: boolean;
  detail?: string;
}

export interface PruneResult {
  l1Expired: number;
  tagIndexEntriesRemoved: number;
}

export interface CacheStats {
  namespace: string;
  driver: string;
  bus: boolean;
  circuitOpen: boolean;
  l1: { enabled: boolean; entries: number; bytes: number; evictions: number };
  counters: Record<string, number>;
}
