import { afterAll, describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/index.ts';
import { REDIS_URL, dropPrefix, randomPrefix, rawClient } from './support.ts';
import { CacheWorker } from './worker-client.ts';

describe('across processes (real child Node processes, shared Redis)', () => {
  const prefix = randomPrefix('mp');
  const workers: CacheWorker[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await dropPrefix(prefix);
  });

  it('a set in one process invalidates the other process L1', async () => {
    const cache = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix }, namespace: 'mp' });
    const other = new CacheWorker();
    workers.push(other);
    try {
      expect(await other.call('init', { url: REDIS_URL, prefix })).toBe('ready');
      await cache.set('shared', 'v1');
      expect(await other.call('get', { key: 'shared' })).toBe('v1'); // now in the child's L1
      await cache.set('shared', 'v2');
      // Without the bus the child would answer 'v1' from its L1 for the whole TTL (1 h).
      await expect.poll(() => other.call('get', { key: 'shared' }), { timeout: 5_000 }).toBe('v2');
      // And the other direction, on our own L1.
      expect(await cache.get('shared')).toBe('v2');
      await other.call('set', { key: 'shared', value: 'v3' });
      await expect.poll(() => cache.get('shared'), { timeout: 5_000 }).toBe('v3');
      expect(cache.stats().counters.busReceived).toBeGreaterThan(0);
    } finally {
      await cache.close();
    }
  });

  it('1,000 concurrent misses over 4 processes call the loader once with the lock on', async () => {
    const four = [new CacheWorker(), new CacheWorker(), new CacheWorker(), new CacheWorker()];
    workers.push(...four);
    await Promise.all(four.map((w) => w.call('init', { url: REDIS_URL, prefix })));
    const counterKey = `${prefix}:loader-calls`;
    const at = Date.now() + 300;
    const results = (await Promise.all(four.map((w) => w.call('stampede', { key: 'hot', concurrency: 250, counterKey, loadMs: 200, at })))) as number[][];
    const raw = rawClient();
    const loaderCalls = Number(await raw.get(counterKey));
    raw.disconnect();
    expect(loaderCalls).toBe(1);
    const all = results.flat();
    expect(all).toHaveLength(1000);
    expect(new Set(all).size).toBe(1);
  });
});
