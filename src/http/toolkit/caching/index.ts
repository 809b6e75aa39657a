export { httpCachingPlugin, type HttpCachingOptions } from './http-caching-plugin.ts';
export { responseCachePlugin, invalidateTags, type ResponseCacheOptions } from './response-cache-plugin.ts';
export { MemoryResponseStore, responseStoreFromCache, type ResponseCacheStore, type MemoryResponseStoreOptions, type TaggedCache } from './store.ts';
export { PurgeRetryingStore, type PurgeRetryOptions } from './purge-retry.ts';
export { etagForBody, etagForVersion, ifNoneMatchMatches } from './etag.ts';
export { formatCacheControl, type CacheControl } from './cache-control.ts';
