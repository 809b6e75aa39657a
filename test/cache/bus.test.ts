import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache, type Cache } from '../../src/cache/index.ts';
import { REDIS_URL, dropPrefix, randomPrefix, rawClient } from './support.ts';

describe('invalidation bus (two caches in one process, separate L1s)', () => {
  const prefix = randomPrefix('bus');
  let a: Cache;
  let b: Cache;
  beforeAll(async () => {
    a = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix }, namespace: 'bus' });
    b = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix }, namespace: 'bus' });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await dropPrefix(prefix);
  });

  async function primed(key: string, value: unknown): Promise<void> {
    await a.set(key, value);
    expect(await b.get(key)).toEqual(value); // b's L1 now holds it
  }

  it('propagates delete, tag, pattern, clear and version invalidations to the other L1', async () => {
    await primed('d', 1);
    await a.delete('d');
    await expect.poll(() => b.get('d')).toBeUndefined();

    await a.set('t', 1, { tags: ['tg'] });
    expect(await b.get('t')).toBe(1);
    await a.deleteByTag('tg');
    await expect.poll(() => b.get('t')).toBeUndefined();

    await primed('p:1', 1);
    await a.deleteByPattern('p:*');
    await expect.poll(() => b.get('p:1')).toBeUndefined();

    await primed('c', 1);
    await a.clear();
    await expect.poll(() => b.get('c')).toBeUndefined();

    await primed('v', 1);
    const before = await b.keyFor('v');
    await a.bumpVersion();
    await expect.poll(() => b.keyFor('v')).not.toBe(before);
    expect(await b.get('v')).toBeUndefined();
  });

  it('invalidates thousands of long tagged keys in the other L1 (batched messages stay under the size limit)', async () => {
    // 6,000 keys of ~190 characters: one message listing them all would exceed the 1 MiB limit.
    const keys = Array.from({ length: 6000 }, (_, i) => `bulk:${i}:${'x'.repeat(180)}`);
    await a.setMany(keys.map((key) => ({ key, value: 1, tags: ['bulk'] })));
    expect(await b.getMany(keys)).toEqual(keys.map(() => 1)); // all in b's L1 now
    expect(await a.deleteByTag('bulk')).toBe(6000);
    await expect.poll(async () => (await b.getMany(keys)).filter((v) => v !== undefined).length).toBe(0);
  });

  it('ignores malformed, oversized and hostile messages on the channel', async () => {
    const raw = rawClient();
    const channel = `${prefix}:__bus:invalidate`;
    await primed('safe', 'kept');
    const dropped = b.stats().counters.busDropped ?? 0;
    for (const message of ['garbage', '{"v":1,"src":"x","op":"keys","keys":"not-an-array"}', '{"v":1,"src":"x","op":"unknown"}', 'x'.repeat(2 * 1024 * 1024)]) {
      await raw.publish(channel, message);
    }
    raw.disconnect();
    await expect.poll(() => b.stats().counters.busDropped).toBeGreaterThanOrEqual(dropped + 4);
    expect(await b.get('safe')).toBe('kept');
  });
});

describe('key options', () => {
  it('hashTag keeps a namespace in one cluster slot and clear() still works; prefixes may contain ":"', async () => {
    const prefix = `${randomPrefix('ht')}:cache`;
    const cache = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix }, namespace: 'users', hashTag: true });
    try {
      expect(await cache.keyFor('1')).toBe(`${prefix}:{users}:v1:1`);
      await cache.set('1', 'x');
      await cache.set('2', 'y');
      expect(await cache.clear()).toBe(2);
      expect(await cache.getMany(['1', '2'])).toEqual([undefined, undefined]);
    } finally {
      await cache.close();
      await dropPrefix(prefix);
    }
  });
});
