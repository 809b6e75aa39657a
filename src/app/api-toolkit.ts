import type { Registry } from 'prom-client';
import type { Cache } from '../cache/index.ts';
import type { Config } from '../config/index.ts';
import type { RoutePlugin } from '../http/index.ts';
import {
  MemoryIdempotencyStore,
  MemoryRateLimitStore,
  RedisIdempotencyStore,
  RedisRateLimitStore,
  invalidateTags,
  responseStoreFromCache,
  withApiToolkit,
  type ResponseCacheStore,
} from '../http/toolkit/index.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * The API toolkit for /api/v1 with the stores the deployment has: Redis-backed limits and idempotency
 * records shared by every node when REDIS_URL is set, in-process ones otherwise. The response cache goes
 * through the cache module (L1 + L2 + invalidation bus).
 */
export function apiToolkitFor(config: Config, deps: { cache: Cache; responseStore?: ResponseCacheStore; registry: Registry; logger: Logger }): RoutePlugin {
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
    responseCache: { store: deps.responseStore ?? responseStoreFromCache(deps.cache, { logger: deps.logger }), registry: deps.registry, logger: deps.logger },
    batch: { basePath: '/api/v1' },
  });
}

const RESOURCE_TABLES = new Set(['customers', 'products', 'orders', 'order_lines', 'documents']);

/**
 * Cached API lists follow writes made anywhere in this process (task workers, scripts), not only
 * through the API routes: each committed write purges the response-cache tag of its resource, batched per
 * tick. Other nodes' writes reach them through the cache module's invalidation bus.
 */
export function purgeResponsesOnWrite(db: Db, store: ResponseCacheStore, logger: Logger): () => void {
  // Remote writes (relayed from other nodes) purge too: until the relay message arrives, this node's
  // query cache may still hand a handler the old total, and the response it builds gets cached.
  return db.writes.onWritesPerTurn((tables) => {
    const resources = new Set(tables.filter((table) => RESOURCE_TABLES.has(table)).map((table) => (table === 'order_lines' ? 'orders' : table)));
    if (resources.size === 0) return;
    const tags = [...resources].map((resource) => `api:${resource}`);
    invalidateTags(store, tags).catch((error: unknown) => logger.warn({ err: error, tags }, 'response-cache purge failed'));
  });
}
