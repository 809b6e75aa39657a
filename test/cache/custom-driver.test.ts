import { describe, expect, it } from 'vitest';
import { CacheUnsupportedError, createCache } from '../../src/cache/index.ts';
import { MapDriver } from './fixtures/map-driver.ts';

// A third-party driver with the core contract only: the Cache works on it, and every feature
// needing a capability it lacks answers CacheUnsupportedError naming that capability.
describe('a cache on a core-only driver', () => {
  it('gets, sets, loads and deletes through L1 and the driver', async () => {
    const driver = new MapDriver();
    const cache = await createCache({ redis: null, driver, namespace: 'custom' });
    const probe = await createCache({ redis: null, driver, namespace: 'custom', l1: false });
    try {
      await cache.set('a', { n: 1 }, { ttl: '1h' });
      expect(await probe.get('a')).toEqual({ n: 1 });
      expect(await cache.getOrSet('b', () => 2)).toBe(2);
      expect(await probe.get('b')).toBe(2);
      expect(await cache.getMany(['a', 'b', 'c'])).toEqual([{ n: 1 }, 2, undefined]);
      expect(await cache.add('a', 'again')).toBe(false);
      expect(await cache.ttl('a')).toBeGreaterThan(0);
      expect(await cache.delete('a')).toBe(true);
      expect(await probe.get('a')).toBeUndefined();
      expect(cache.stats().driver).toBe('map');
      expect((await cache.prune()).tagIndexEntriesRemoved).toBe(0);
    } finally {
      await probe.close();
      await cache.close();
    }
  });

  it('answers CacheUnsupportedError for tags, counters, scanning, hashes, sets and locks', async () => {
    const cache = await createCache({ redis: null, driver: new MapDriver() });
    try {
      const unsupported = (capability: string) =>
        expect.objectContaining({ name: 'CacheUnsupportedError', status: 501, message: expect.stringContaining(`"${capability}"`) as unknown });
      await expect(cache.set('t', 1, { tags: ['x'] })).rejects.toEqual(unsupported('sets'));
      await expect(cache.deleteByTag('x')).rejects.toEqual(unsupported('sets'));
      await expect(cache.incr('n')).rejects.toEqual(unsupported('counters'));
      await expect(cache.clear()).rejects.toEqual(unsupported('scanning'));
      await expect(cache.deleteByPattern('a*')).rejects.toEqual(unsupported('scanning'));
      await expect(cache.admin().browse('*', '0', 10)).rejects.toEqual(unsupported('scanning'));
      await expect(cache.hash('h').set({ a: 1 })).rejects.toEqual(unsupported('hashes'));
      await expect(cache.setOf('s').add('m')).rejects.toEqual(unsupported('sets'));
      await expect(cache.getOrSet('l', () => 1, { lock: true })).rejects.toBeInstanceOf(CacheUnsupportedError);
      // A refused call is not an outage: the breaker stays closed and nothing was written.
      expect(cache.stats().circuitOpen).toBe(false);
      expect(cache.stats().counters.l2Errors).toBe(0);
      expect(await cache.has('t')).toBe(false);
    } finally {
      await cache.close();
    }
  });

  it('refuses a driver together with redis', async () => {
    await expect(createCache({ redis: { url: 'redis://127.0.0.1:1', keyPrefix: 'x' }, driver: new MapDriver() })).rejects.toThrow('either redis or driver');
  });
});
