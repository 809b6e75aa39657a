import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache, type Cache } from '../../src/cache/index.ts';
import { REDIS_URL, dropPrefix, randomPrefix, rawClient } from './support.ts';
import { eventually } from '../support/wait.ts';

describe('distributed lease lock', () => {
  const prefix = randomPrefix('lock');
  let a: Cache;
  let b: Cache;
  const raw = rawClient();
  beforeAll(async () => {
    a = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix }, namespace: 'lk' });
    b = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix }, namespace: 'lk' });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    raw.disconnect();
    await dropPrefix(prefix);
  });

  const lockKey = async (cache: Cache, key: string): Promise<string> => `${prefix}:__lock:${await cache.keyFor(key)}`;

  it('a waiter receives the holder value instead of loading', async () => {
    await raw.set(await lockKey(b, 'w'), 'someone-else', 'PX', 10_000);
    let calls = 0;
    const misses = b.stats().counters.l2Misses ?? 0;
    const waiting = b.getOrSet(
      'w',
      async () => {
        calls++;
        return 'mine';
      },
      { lock: true },
    );
    // Signal: b missed L2 and is now in the lock phase (polling, since the lock is held).
    await eventually(() => (b.stats().counters.l2Misses ?? 0) > misses, 5_000, 'b to miss L2');
    await a.set('w', 'holder-value');
    await raw.del(await lockKey(b, 'w'));
    expect(await waiting).toBe('holder-value');
    expect(calls).toBe(0);
  });

  it('loads anyway after the wait timeout when the holder never finishes (fail open)', async () => {
    await raw.set(await lockKey(b, 'stuck'), 'dead-holder', 'PX', 60_000);
    let calls = 0;
    const value = await b.getOrSet(
      'stuck',
      async () => {
        calls++;
        return 'loaded';
      },
      { lock: { waitTimeout: '50ms' } },
    );
    expect(value).toBe('loaded');
    expect(calls).toBe(1);
    // The dead holder's lease is untouched: release is token-checked.
    expect(await raw.get(await lockKey(b, 'stuck'))).toBe('dead-holder');
  });

  it('releases its own lease after loading, and forceRefresh with the lock still reloads', async () => {
    let calls = 0;
    expect(await b.getOrSet('own', async () => ++calls, { lock: true })).toBe(1);
    expect(await raw.exists(await lockKey(b, 'own'))).toBe(0);
    expect(await a.getOrSet('own', async () => ++calls, { lock: true, forceRefresh: true })).toBe(2);
    expect(await raw.exists(await lockKey(b, 'own'))).toBe(0);
  });
});
