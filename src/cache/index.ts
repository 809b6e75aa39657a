/** ai-stack/cache — tiered cache (in-process L1 + Redis L2 + invalidation bus), cached(), admin routes, Keyv adapter. */
export { createCache, type CreateCacheOptions } from './create-cache.ts';
export { Cache, type ClusterChannel, type CacheConnections } from './cache.ts';
export type { ChannelHandlers } from './bus.ts';
export type { SetOptions, GetOrSetOptions, LoaderContext, LockOptions, SetManyEntry, CacheHealth, CacheStats, PruneResult } from './types.ts';
export type { Loader } from './get-or-set.ts';
export { HashHelper, CounterHelper, SetHelper } from './helpers.ts';
export { richJsonCodec, jsonCodec, type Codec } from './codec.ts';
export { KeyStrategy, hashArgs, stableStringify, type KeyStrategyOptions } from './keys.ts';
export { parseDuration, type Duration } from './ttl.ts';
export { capabilitiesOf, type CacheDriver, type FullCacheDriver, type DriverCapabilities, type Capability } from './driver.ts';
export type { ScanningDriver, CounterDriver, SetDriver, HashDriver, LockDriver, KeyInfo, KeyType, ScanPage } from './driver.ts';
export { MemoryDriver, type MemoryDriverOptions } from './drivers/memory.ts';
export { RedisDriver, type RedisDriverOptions } from './drivers/redis.ts';
export type { L1Options } from './l1.ts';
export { CacheUnavailableError, CacheLoaderTimeoutError, CacheCodecError, CacheUnsupportedError } from './errors.ts';
/** What a driver throws for data errors (WRONGTYPE, non-integer increments): the caller's fault, not an outage. */
export { ValidationError } from '../shared/errors.ts';
export { cached, cachedFunction, withCacheControl, renderKeyTemplate, type CachedOptions, type CachedFunction, type CacheControl } from './cached.ts';
export { cacheAdminRoutes } from './admin-routes.ts';
export { CacheAdmin, type BrowsePage, type KeyDetail } from './admin.ts';
export { KeyvCacheStore, keyvStoreFor, type KeyvCacheStoreOptions } from './keyv-store.ts';
