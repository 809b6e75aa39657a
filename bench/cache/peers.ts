// The peers, configured as their docs recommend for an L1 + Redis L2 setup, on the same Redis.
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver, redisBusDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { Keyv } from 'keyv';
import KeyvRedis from '@keyv/redis';
import { CacheableMemory } from 'cacheable';

export const REDIS = { host: '127.0.0.1', port: 6379 };
export const REDIS_URL = `redis://${REDIS.host}:${REDIS.port}`;

export function bento(prefix: string, tier: 'tiered' | 'l2' | 'tiered-serialized'): BentoCache<{ s: ReturnType<typeof bentostore> }> {
  let store = bentostore();
  if (tier !== 'l2') store = store.useL1Layer(memoryDriver({ maxItems: 10_000, serialize: tier === 'tiered-serialized' }));
  store = store.useL2Layer(redisDriver({ connection: REDIS }));
  if (tier !== 'l2') store = store.useBus(redisBusDriver({ connection: REDIS }));
  return new BentoCache({ default: 's', prefix, ttl: '1h', stores: { s: store } });
}

export function cacheManager(namespace: string, tier: 'tiered' | 'l2'): ReturnType<typeof createCacheManager> {
  const l2 = new Keyv({ store: new KeyvRedis(REDIS_URL), namespace });
  const stores = tier === 'tiered' ? [new Keyv({ store: new CacheableMemory({ lruSize: 10_000 }) }), l2] : [l2];
  return createCacheManager({ stores, ttl: 3_600_000 });
}
