import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCache, CacheLoaderTimeoutError, CacheUnavailableError, type Cache } from '../../src/cache/index.ts';
import { Redis } from 'ioredis';
import { ThrowawayRedis, freePort, frozenClock } from './support.ts';

describe('grace, stale-while-revalidate and loader timeouts', () => {
  let cache: Cache;
  // Staleness comes from moving this clock, not from sleeping past short TTLs.
  let clock: ReturnType<typeof frozenClock>;
  beforeAll(async () => {
    cache = await createCache({ redis: null, namespace: 'res' });
  });
  afterAll(async () => {
    await cache.close();
  });
  beforeEach(() => {
    clock = frozenClock();
  });
  afterEach(() => {
    clock.restore();
  });

  it('serves the stale value within the grace period when the loader fails', async () => {
    await cache.getOrSet('g', () => 'v1', { ttl: '30ms', grace: '1h' });
    clock.advance(60);
    expect(await cache.get('g')).toBeUndefined();
    const value = await cache.getOrSet(
      'g',
      () => {
        throw new Error('db down');
      },
      { ttl: '30ms', grace: '1h' },
    );
    expect(value).toBe('v1');
    expect(cache.stats().counters.gracedHits).toBeGreaterThan(0);
  });

  it('rethrows loader errors when there is nothing stale', async () => {
    await expect(
      cache.getOrSet('nostale', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    // A failure is not cached: the next call loads again.
    expect(await cache.getOrSet('nostale', () => 'ok')).toBe('ok');
  });

  it('stale-while-revalidate returns stale at once and refreshes in the background', async () => {
    await cache.getOrSet('swr', () => 'old', { ttl: '20ms', grace: '1h' });
    clock.advance(40);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const value = await cache.getOrSet(
      'swr',
      async () => {
        await gate;
        return 'new';
      },
      { ttl: '1h', grace: '1h', staleWhileRevalidate: true },
    );
    expect(value).toBe('old');
    release();
    await expect.poll(() => cache.get('swr')).toBe('new');
  });

  it('soft timeout serves stale while the slow load completes later', async () => {
    await cache.getOrSet('soft', () => 'old', { ttl: '20ms', grace: '1h' });
    clock.advance(40);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const value = await cache.getOrSet(
      'soft',
      async () => {
        await gate;
        return 'new';
      },
      { ttl: '1h', grace: '1h', softTimeout: '20ms' },
    );
    expect(value).toBe('old');
    release();
    await expect.poll(() => cache.get('soft')).toBe('new');
  });

  it('hard timeout throws CacheLoaderTimeoutError without stale data, and the load still lands', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    await expect(
      cache.getOrSet(
        'hard',
        async () => {
          await gate;
          return 'late';
        },
        { hardTimeout: '20ms' },
      ),
    ).rejects.toBeInstanceOf(CacheLoaderTimeoutError);
    release();
    await expect.poll(() => cache.get('hard')).toBe('late');
  });

  it('adaptive options from the loader context: tags and the stale value', async () => {
    await cache.getOrSet('adapt-tags', (ctx) => {
      ctx.setTags(['dynamic']);
      return 1;
    });
    expect(await cache.deleteByTag('dynamic')).toBe(1);
    await cache.getOrSet('adapt-stale', () => 'first', { ttl: '10ms', grace: '1h' });
    clock.advance(30);
    const seen: unknown[] = [];
    expect(
      await cache.getOrSet('adapt-stale', (ctx) => {
        seen.push(ctx.stale);
        return 'second';
      }),
    ).toBe('second');
    expect(seen).toEqual(['first']);
  });

  it('adaptive options from the loader context (ttl)', async () => {
    await cache.getOrSet('adaptive', (ctx) => {
      ctx.setTtl('20ms');
      return 1;
    });
    expect(await cache.get('adaptive')).toBe(1);
    clock.advance(50);
    expect(await cache.get('adaptive')).toBeUndefined();
  });
});

describe('fail fast when Redis is down', () => {
  it('answers from L1 and loaders without waiting, opens the breaker, and reports unhealthy', async () => {
    const port = await freePort();
    const cache = await createCache({
      redis: { url: `redis://127.0.0.1:${port}`, keyPrefix: 'down' },
      connectTimeoutMs: 200,
      circuitBreaker: { threshold: 2, openMs: 60_000 },
    });
    try {
      expect(await cache.getOrSet('k', () => 'from-loader')).toBe('from-loader');
      expect(await cache.get('k')).toBe('from-loader');
      await cache.set('other', 1);
      expect(await cache.get('missing')).toBeUndefined();
      expect(cache.stats().circuitOpen).toBe(true);
      await expect(cache.delete('k')).rejects.toBeInstanceOf(CacheUnavailableError);
      await expect(cache.incr('n')).rejects.toBeInstanceOf(CacheUnavailableError);
      expect((await cache.health()).ok).toBe(false);
    } finally {
      await cache.close();
    }
  });
});

describe('Redis restart during reads', () => {
  const holder: { redis?: ThrowawayRedis } = {};
  afterAll(async () => {
    await holder.redis?.stop();
  });

  it('serves every request while Redis is killed and restarted, then recovers L2 by itself', async () => {
    const redis = new ThrowawayRedis(await freePort());
    holder.redis = redis;
    await redis.start();
    const cache = await createCache({ redis: { url: redis.url, keyPrefix: 'restart' }, circuitBreaker: { threshold: 1, openMs: 100 }, defaultTtl: '50ms' });
    let loads = 0;
    const failures: unknown[] = [];
    let served = 0;
    let stop = false;
    const reader = (async () => {
      while (!stop) {
        const key = `k${served % 20}`;
        try {
          const v = await cache.getOrSet(key, async () => {
            loads++;
            return key.toUpperCase();
          });
          if (v !== key.toUpperCase()) failures.push(new Error(`wrong value ${String(v)}`));
          served++;
        } catch (error) {
          failures.push(error);
        }
        await new Promise((resolve) => setImmediate(resolve)); // let the restarts interleave
      }
    })();
    try {
      await expect.poll(() => served, { timeout: 10_000 }).toBeGreaterThan(50);
      await cache.set('marker', 'before-restart', { ttl: '1h' });
      expect(await cache.get('marker')).toBe('before-restart');
      await redis.stop();
      const duringOutage = served;
      await expect.poll(() => served, { timeout: 10_000 }).toBeGreaterThan(duringOutage + 50);
      await redis.start();
      // Recovery: an entry written after the restart reaches the new Redis.
      await expect
        .poll(
          async () => {
            await cache.set('after', 'restart');
            return (await cache.health()).ok && !cache.stats().circuitOpen;
          },
          { timeout: 10_000 },
        )
        .toBe(true);
      const probe = await createCache({ redis: { url: redis.url, keyPrefix: 'restart' }, l1: false });
      await expect
        .poll(
          async () => {
            await cache.set('after', 'restart');
            return probe.get('after');
          },
          { timeout: 10_000 },
        )
        .toBe('restart');
      await probe.close();
      // The restarted Redis lost its script cache: EVALSHA hits NOSCRIPT and the script is reloaded.
      expect(await cache.incr('after-restart-counter')).toBe(1);
      // The bus subscriber reconnected, so L1 was flushed: the marker the new (empty) Redis never saw is gone.
      expect(await cache.get('marker')).toBeUndefined();
    } finally {
      stop = true;
      await reader;
      await cache.close();
    }
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(100);
    expect(loads).toBeGreaterThan(0);
  });
});

describe('per-command timeout on a hung Redis', () => {
  const holder: { redis?: ThrowawayRedis } = {};
  afterAll(async () => {
    await holder.redis?.stop();
  });

  it('gives up on a paused Redis after the command timeout and serves the loader', async () => {
    const redis = new ThrowawayRedis(await freePort());
    holder.redis = redis;
    await redis.start();
    const cache = await createCache({
      redis: { url: redis.url, keyPrefix: 'hung' },
      commandTimeoutMs: 100,
      circuitBreaker: { threshold: 1, openMs: 60_000 },
      l1: false,
    });
    const admin = new Redis(redis.url);
    try {
      await cache.set('k', 'cached');
      expect(await cache.get('k')).toBe('cached');
      // CLIENT PAUSE freezes every client's commands: Redis is up but answers nothing for 3 s.
      await admin.call('CLIENT', 'PAUSE', '3000', 'ALL');
      expect(await cache.getOrSet('k2', () => 'from-loader')).toBe('from-loader');
      // Without the timeout the read would simply wait out the pause: no error, breaker closed.
      expect(cache.stats().circuitOpen).toBe(true);
      expect(cache.stats().counters.l2Errors).toBeGreaterThan(0);
    } finally {
      await admin.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      admin.disconnect();
      await cache.close();
    }
  });
});

describe('background refreshes do not stampede', () => {
  it('stale-while-revalidate starts one refresh however many callers see the stale value', async () => {
    const cache = await createCache({ redis: null });
    const clock = frozenClock();
    try {
      await cache.getOrSet('k', () => 'old', { ttl: '10ms', grace: '1h' });
      clock.advance(30);
      let refreshes = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const loader = async (): Promise<string> => {
        refreshes++;
        await gate;
        return 'new';
      };
      for (let i = 0; i < 20; i++) {
        expect(await cache.getOrSet('k', loader, { ttl: '1h', grace: '1h', staleWhileRevalidate: true })).toBe('old');
      }
      expect(refreshes).toBe(1);
      release();
      await expect.poll(() => cache.get('k')).toBe('new');
    } finally {
      clock.restore();
      await cache.close();
    }
  });
});

describe('Redis absent at boot', () => {
  const holder: { redis?: ThrowawayRedis } = {};
  afterAll(async () => {
    await holder.redis?.stop();
  });

  it('starts degraded, then connects by itself when Redis appears, bus included', async () => {
    const redis = new ThrowawayRedis(await freePort());
    holder.redis = redis;
    const cache = await createCache({ redis: { url: redis.url, keyPrefix: 'boot' }, connectTimeoutMs: 200, circuitBreaker: { threshold: 1, openMs: 50 } });
    const peer = { cache: undefined as Cache | undefined };
    try {
      expect((await cache.health()).ok).toBe(false);
      expect(await cache.getOrSet('k', () => 'loader')).toBe('loader');
      await redis.start();
      await expect.poll(async () => (await cache.health()).ok, { timeout: 10_000 }).toBe(true);
      peer.cache = await createCache({ redis: { url: redis.url, keyPrefix: 'boot' } });
      await expect
        .poll(
          async () => {
            await cache.set('shared', 1);
            return peer.cache?.get('shared');
          },
          { timeout: 10_000 },
        )
        .toBe(1);
      // The late-connected subscriber receives invalidations too.
      await peer.cache.set('shared', 2);
      await expect.poll(() => cache.get('shared'), { timeout: 5_000 }).toBe(2);
    } finally {
      await peer.cache?.close();
      await cache.close();
    }
  });
});
