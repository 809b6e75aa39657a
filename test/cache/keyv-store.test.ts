import * as vitest from 'vitest';
import { afterAll, describe, expect, it } from 'vitest';
import Keyv from 'keyv';
import { Redis } from 'ioredis';
import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite';
import { KeyvCacheStore, MemoryDriver, RedisDriver, createCache, keyvStoreFor, type Cache } from '../../src/cache/index.ts';
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
  const memoryStore = (): KeyvCacheStore => new KeyvCacheStore(driver, { keyPrefix: 'mem' });
  keyvTestSuite(vitest, Keyv, memoryStore);
  keyvIteratorTests(vitest, Keyv, memoryStore);
});

// The same suites through keyvStoreFor(), on the driver of a real cache of each kind.
describe.each(['memory', 'redis'] as const)('@keyv/test-suite against keyvStoreFor(cache) (%s)', (mode) => {
  const storePrefix = randomPrefix(`keyvfor-${mode}`);
  const holder: { cache?: Cache } = {};
  vitest.beforeAll(async () => {
    holder.cache = await createCache({ redis: mode === 'redis' ? { url: REDIS_URL, keyPrefix: storePrefix } : null, keyPrefix: storePrefix });
  });
  afterAll(async () => {
    await holder.cache?.close();
    if (mode === 'redis') await dropPrefix(storePrefix);
  });
  const store = (): KeyvCacheStore => keyvStoreFor(holder.cache as Cache, { keyPrefix: storePrefix });
  keyvTestSuite(vitest, Keyv, store);
  keyvIteratorTests(vitest, Keyv, store);
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

  it('two stores of one in-process cache share their data, as they do on Redis', async () => {
    const cache = await createCache({ redis: null });
    try {
      const writer = new Keyv({ store: keyvStoreFor(cache, { keyPrefix: 'shared' }), namespace: 's' });
      const reader = new Keyv({ store: keyvStoreFor(cache, { keyPrefix: 'shared' }), namespace: 's' });
      await writer.set('k', { v: 1 });
      expect(await reader.get('k')).toEqual({ v: 1 });
      const seen: string[] = [];
      expect(reader.iterator).toBeTypeOf('function');
      for await (const [key] of reader.iterator?.(undefined) ?? []) seen.push(String(key));
      expect(seen).toEqual(['k']);
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
    expect(
      await manager.wrap('w', async () => {
        calls++;
        return { ok: true };
      }),
    ).toEqual({ ok: true });
    expect(
      await manager.wrap('w', async () => {
        calls++;
        return { ok: false };
      }),
    ).toEqual({ ok: true });
    expect(calls).toBe(1);
    expect(await manager.get('w')).toEqual({ ok: true });
    await manager.clear();
  });
});
