import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createCache, type Cache } from '../../../src/cache/index.ts';
import { responsePlugins } from './support/response-app.ts';
import { randomPrefix } from './support/app.ts';
import { deletePrefix, SHARED_REDIS_URL } from './support/redis.ts';
import { responseStoreFromCache } from '../../../src/http/toolkit/index.ts';

// The response cache on the cache module's real tiers: bytes must survive its codec, tags must purge.
describe.each([
  ['in-process', null],
  ['L1 + Redis', { url: SHARED_REDIS_URL, keyPrefix: randomPrefix('rc').slice(0, -1) }],
] as const)('responseStoreFromCache over createCache (%s)', (_label, redis) => {
  const caches: Cache[] = [];
  afterAll(async () => {
    for (const cache of caches) await cache.close();
    if (redis !== null) {
      // Everything the cache wrote lives under the test's own prefix.
      const client = new Redis(redis.url);
      await deletePrefix(client, redis.keyPrefix);
      client.disconnect();
    }
  });

  it('replays the exact bytes and is purged by tag', async () => {
    const cache = await createCache({ redis: redis === null ? null : { ...redis } });
    caches.push(cache);
    const { app, hits } = await responsePlugins(responseStoreFromCache(cache));
    const first = await app.inject({ url: '/items', headers: { 'accept-encoding': 'br' } });
    const second = await app.inject({ url: '/items', headers: { 'accept-encoding': 'br' } });
    expect(first.headers['x-cache']).toBe('MISS');
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.rawPayload.equals(first.rawPayload)).toBe(true);
    expect(hits()).toBe(1);
    await app.inject({ method: 'POST', url: '/items' });
    expect((await app.inject({ url: '/items', headers: { 'accept-encoding': 'br' } })).headers['x-cache']).toBe('MISS');
    await app.close();
  });
});
