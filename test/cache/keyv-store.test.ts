import * as vitest from 'vitest';
import { afterAll, describe, expect, it } from 'vitest';
import Keyv from 'keyv';
import { Redis } from 'ioredis';
import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite';
import { KeyvCacheStore, MemoryDriver, RedisDriver, createCache, keyvStoreFor } from '../../src/cache/index.ts';
import { REDIS_URL, dropPrefix, randomPrefix } from './support.ts';

const prefix = randomPrefix('keyv');
const client = new Redis(REDIS_URL);
const redisStore = (): KeyvCacheStore => new KeyvCacheStore(new RedisDriver(client), { keyPrefix: prefix });

afterAll(async () => {
  await dropPrefix(prefix);
  client.disconnect();
});

// Keyv's own compliance suite (api, values, namespaces) and its iterator tests, against our Redis driver.
describe('@keyv/test-suite against KeyvCacheStore (Redis driver)', () => {
  keyvTestSuite(vitest, Keyv, redisStore);
  keyvIteratorTests(vitest, Keyv, redisStore);
});

describe('@keyv/test-suite against KeyvCacheStore (memory driver)', () => {
  const driver = new MemoryDriver();
  keyvTestSuite(vitest, Keyv, () => new KeyvCacheStore(driver, { keyPrefix: 'mem' }));
});

describe('KeyvCacheStore', () => {
  it('shares a cache connection and keeps namespaces apart on clear()', async () => {
    const cache = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix } });
    try {
      const a = new Keyv({ store: keyvStoreFor(cache, { keyPrefix: prefix }), namespace: 'a' });
      const b = new Keyv({ store: keyvStoreFor(cache, { keyPrefix: prefix }), namespace: 'b' });
      await a.set('k', { deep: [1, 2] });
      await b.set('k', 'b-value');
      await a.clear();
      expect(await a.get('k')).toBeUndefined();
      expect(await b.get('k')).toBe('b-value');
    } finally {
      await cache.close();
    }
  });

  it('rejects a hostile key prefix', () => {
    expect(() => new KeyvCacheStore(new MemoryDriver(), { keyPrefix: 'a*b' })).toThrow();
    expect(() => new KeyvCacheStore(new MemoryDriver(), { keyPrefix: '' })).toThrow();
  });
});

describe('cache-manager on our store', () => {
  it('uses KeyvCacheStore as its Redis tier', async () => {
    const { createCache: createCacheManager } = await import('cache-manager');
    const store = new Keyv({ store: redisStore(), namespace: 'cm' });
    const manager = createCacheManager({ stores: [store] });
    let calls = 0;
    expect(await manager.wrap('w', async () => { calls++; return { ok: true }; })).toEqual({ ok: true });
    expect(await manager.wrap('w', async () => { calls++; return { ok: false }; })).toEqual({ ok: true });
    expect(calls).toBe(1);
    expect(await manager.get('w')).toEqual({ ok: true });
    await manager.clear();
  });
});
