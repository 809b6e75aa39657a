import type { Registry } from 'prom-client';
import type { Cache } from '../cache/index.ts';
import type { Config } from '../config/index.ts';
import type { RoutePlugin } from '../http/index.ts';
import {
  MemoryIdempotencyStore,
  MemoryRateLimitStore,
  RedisIdempotencyStore,
  RedisRateLimitStore,
  responseStoreFromCache,
  withApiToolkit,
} from '../http/toolkit/index.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * The API toolkit for /api/v1 with the stores the deployment has: Redis-backed limits and idempotency
 * records shared by every node when REDIS_URL is set, in-process ones otherwise. The response cache goes
 * through the cache module (L1 + L2 + invalidation bus).
 */
export function apiToolkitFor(config: Config, deps: { cache: Cache; registry: Registry; logger: Logger }): RoutePlugin {
  const redis = deps.cache.raw;
  const prefix = config.redis?.keyPrefix ?? 'ai-stack';
  return withApiToolkit({
    rateLimit: {
      policies: { default: { limit: config.http.rateLimitPerMinute, windowMs: 60_000 } },
      store: redis ? new RedisRateLimitStore({ redis, keyPrefix: `${prefix}:rl:`, timeoutMs: 250 }) : new MemoryRateLimitStore(),
      onStoreError: config.http.rateLimitOnStoreError,
      logger: deps.logger,
      registry: deps.registry,
    },
    idempotency: { store: redis ? new RedisIdempotencyStore({ redis, keyPrefix: `${prefix}:idem:` }) : new MemoryIdempotencyStore() },
    caching: {},
    compression: { registry: deps.registry },
    responseCache: { store: responseStoreFromCache(deps.cache), registry: deps.registry },
    batch: { basePath: '/api/v1' },
  });
}
