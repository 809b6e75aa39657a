import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createCache } from '../../src/cache/index.ts';
import { REDIS_URL, dropPrefix, frozenClock, randomPrefix } from './support.ts';

describe('cache metrics', () => {
  it('exposes hits/misses per tier, latency histograms, L1 size and bus messages on the given registry', async () => {
    const registry = new Registry();
    const prefix = randomPrefix('metrics');
    const cache = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix }, registry, namespace: 'm', l1: { maxEntries: 2 } });
    try {
      await cache.get('miss');
      await cache.set('a', 1);
      await cache.get('a');
      await cache.getOrSet('b', () => 2);
      await cache.set('c', 3); // evicts one of a/b: L1 holds 2 entries
      const text = await registry.metrics();
      expect(text).toMatch(/ai_stack_cache_lookups_total\{cache="m",tier="l1",result="hit"\} 1/);
      expect(text).toMatch(/ai_stack_cache_lookups_total\{cache="m",tier="l2",result="miss"\} 2/);
      expect(text).toMatch(/ai_stack_cache_l2_duration_seconds_count\{cache="m",op="get"\} \d+/);
      expect(text).toMatch(/ai_stack_cache_loader_duration_seconds_count\{cache="m"\} 1/);
      expect(text).toMatch(/ai_stack_cache_l1_size\{cache="m",unit="entries"\} 2/);
      expect(text).toMatch(/ai_stack_cache_l1_evictions_total\{cache="m"\} 1/);
      expect(text).toMatch(/ai_stack_cache_bus_messages_total\{cache="m",direction="published"\} 3/);
      expect(text).toMatch(/ai_stack_cache_circuit_open\{cache="m"\} 0/);
      // Scraping twice must not double-count.
      expect(await registry.metrics()).toMatch(/ai_stack_cache_lookups_total\{cache="m",tier="l1",result="hit"\} 1/);
    } finally {
      await cache.close();
      await dropPrefix(prefix);
    }
  });

  it('lets several caches share one registry, labelled apart, and stops reporting a closed cache', async () => {
    const registry = new Registry();
    const a = await createCache({ redis: null, registry, namespace: 'shared' });
    const b = await createCache({ redis: null, registry, namespace: 'shared' });
    const c = await createCache({ redis: null, registry, namespace: 'other' });
    await a.get('x');
    await b.set('y', 1);
    await b.get('y');
    let text = await registry.metrics();
    expect(text).toMatch(/ai_stack_cache_lookups_total\{cache="shared",tier="l1",result="miss"\} 1/);
    expect(text).toMatch(/ai_stack_cache_lookups_total\{cache="shared#2",tier="l1",result="hit"\} 1/);
    expect(text).toMatch(/ai_stack_cache_writes_total\{cache="other"\} 0/);
    await c.close();
    text = await registry.metrics();
    expect(text).not.toMatch(/cache="other"/);
    await a.close();
    await b.close();
  });

  it('caps L1 freshness with l1.maxTtl while L2 keeps the full TTL', async () => {
    const prefix = randomPrefix('maxttl');
    const cache = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix }, l1: { maxTtl: '30ms' } });
    const clock = frozenClock();
    try {
      await cache.set('k', 'v', { ttl: '1h' });
      expect(await cache.get('k')).toBe('v');
      expect(cache.stats().counters.l1Hits).toBe(1);
      clock.advance(60);
      expect(await cache.get('k')).toBe('v'); // from L2 this time
      expect(cache.stats().counters.l2Hits).toBe(1);
      expect(await cache.ttl('k')).toBeGreaterThan(60_000);
    } finally {
      clock.restore();
      await cache.close();
      await dropPrefix(prefix);
    }
  });

  it('bounds L1 by bytes and keeps oversized entries in L2 only', async () => {
    const cache = await createCache({ redis: null, l1: { maxEntries: 1000, maxBytes: 10_000, maxEntryBytes: 4_000 } });
    for (let i = 0; i < 20; i++) await cache.set(`k${i}`, 'x'.repeat(1_000));
    expect(cache.stats().l1.bytes).toBeLessThanOrEqual(10_000);
    expect(cache.stats().l1.evictions).toBeGreaterThan(0);
    await cache.set('huge', 'y'.repeat(5_000));
    expect(await cache.get('huge')).toHaveLength(5_000);
    expect(cache.stats().counters.l2Hits).toBeGreaterThan(0);
    await cache.close();
  });
});
