export { createRateLimiter, type RateLimiter, type RateLimiterOptions, type RateLimitResult, type StoreFailureMode } from './limiter.ts';
export { MemoryRateLimitStore, type MemoryRateLimitStoreOptions } from './memory-store.ts';
export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from './redis-store.ts';
export { rateLimitPlugin, type RateLimitPluginOptions } from './plugin.ts';
export { rateLimitHeader, rateLimitPolicyHeader } from './headers.ts';
export type { RateLimitDecision, RateLimitPolicy, RateLimitStore } from './types.ts';
