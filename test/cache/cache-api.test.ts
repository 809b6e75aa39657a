import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache, type Cache } from '../../src/cache/index.ts';
import { ValidationError } from '../../src/shared/errors.ts';
import { REDIS_URL, dropPrefix, frozenClock, randomPrefix } from './support.ts';
import { eventually } from '../support/wait.ts';

// The same behaviour is required in-process (embedded default) and with Redis behind L1.
describe.each(['memory', 'redis'] as const)('Cache API (%s)', (mode) => {
  const prefix = randomPrefix(`api-${mode}`);
  let cache: Cache;

  beforeAll(async () => {
    cache = await createCache({ redis: mode === 'redis' ? { url: REDIS_URL, keyPrefix: prefix } : null, keyPrefix: prefix, namespace: 'api' });
  });
  afterAll(async () => {
    await cache.close();
    if (mode === 'redis') await dropPrefix(prefix);
  });

  it('sets, gets, checks and deletes', async () => {
    expect(await cache.get('missing')).toBeUndefined();
    await cache.set('a', { n: 1 });
    expect(await cache.get('a')).toEqual({ n: 1 });
    expect(await cache.has('a')).toBe(true);
    expect(await cache.delete('a')).toBe(true);
    expect(await cache.has('a')).toBe(false);
    expect(await cache.delete('a')).toBe(false);
  });

  it('stores undefined as a value distinct from a miss via has()', async () => {
    await cache.set('undef', undefined);
    expect(await cache.has('undef')).toBe(true);
    expect(await cache.get('undef')).toBeUndefined();
  });

  it('expires by TTL strings and numbers', async () => {
    const clock = frozenClock();
    try {
      await cache.set('short', 1, { ttl: '60ms' });
      await cache.set('long', 2, { ttl: 60_000 });
      expect(await cache.get('short')).toBe(1);
      clock.advance(120);
      expect(await cache.get('short')).toBeUndefined();
      expect(await cache.get('long')).toBe(2);
      expect(await cache.ttl('long')).toBe(60_000 - 120);
      await cache.set('forever', 3, { ttl: Infinity });
      expect(await cache.ttl('forever')).toBe(Infinity);
      expect(await cache.ttl('nope')).toBeUndefined();
    } finally {
      clock.restore();
    }
  });

  it('keeps entries whose TTL exceeds 24.8 days (no setTimeout overflow)', async () => {
    const clock = frozenClock();
    try {
      await cache.set('month', 'x', { ttl: '40d' });
      clock.advance(25 * 86_400_000);
      expect(await cache.get('month')).toBe('x');
      expect(await cache.ttl('month')).toBe(15 * 86_400_000);
    } finally {
      clock.restore();
    }
  });

  it('add() only sets when absent', async () => {
    expect(await cache.add('once', 1)).toBe(true);
    expect(await cache.add('once', 2)).toBe(false);
    expect(await cache.get('once')).toBe(1);
  });

  it('getMany/setMany/deleteMany', async () => {
    await cache.setMany<unknown>([
      { key: 'm1', value: 1 },
      { key: 'm2', value: 'two', ttl: '1m' },
    ]);
    expect(await cache.getMany(['m1', 'm2', 'm3'])).toEqual([1, 'two', undefined]);
    expect(await cache.deleteMany(['m1', 'm2', 'm3'])).toBe(2);
    expect(await cache.getMany(['m1', 'm2'])).toEqual([undefined, undefined]);
  });

  it('incr/decr are atomic counters readable with get()', async () => {
    expect(await cache.incr('hits')).toBe(1);
    expect(await cache.incr('hits', 5)).toBe(6);
    expect(await cache.decr('hits', 2)).toBe(4);
    expect(await cache.get('hits')).toBe(4);
    await Promise.all(Array.from({ length: 50 }, () => cache.incr('hits')));
    expect(await cache.get('hits')).toBe(54);
    await cache.set('notnum', { a: 1 });
    await expect(cache.incr('notnum')).rejects.toBeInstanceOf(ValidationError);
  });

  it('expire/touch change the remaining lifetime', async () => {
    await cache.set('t', 'v', { ttl: '1h' });
    expect(await cache.expire('t', '50ms')).toBe(true);
    expect(await cache.ttl('t')).toBeLessThanOrEqual(50);
    expect(await cache.touch('t', '10m')).toBe(true);
    expect(await cache.ttl('t')).toBeGreaterThan(60_000);
    expect(await cache.expire('absent', '1m')).toBe(false);
  });

  it('getOrSet loads once and then hits', async () => {
    let calls = 0;
    const load = async (): Promise<{ id: number }> => {
      calls++;
      return { id: 7 };
    };
    expect(await cache.getOrSet('gos', load)).toEqual({ id: 7 });
    expect(await cache.getOrSet('gos', load)).toEqual({ id: 7 });
    expect(calls).toBe(1);
    expect(await cache.getOrSet('gos', load, { forceRefresh: true })).toEqual({ id: 7 });
    expect(calls).toBe(2);
  });

  it('getOrSet collapses concurrent misses into one loader call', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const pending = Promise.all(
      Array.from({ length: 100 }, () =>
        cache.getOrSet('herd', async () => {
          calls++;
          await gate;
          return 'v';
        }),
      ),
    );
    await eventually(() => calls > 0, 5_000, 'the loader to start');
    release();
    const results = await pending;
    expect(calls).toBe(1);
    expect(new Set(results)).toEqual(new Set(['v']));
  });

  it('getOrSet honours shouldCache and ctx.skip()', async () => {
    let calls = 0;
    const load = async (): Promise<number[]> => {
      calls++;
      return [];
    };
    await cache.getOrSet('empty', load, { shouldCache: (v) => v.length > 0 });
    await cache.getOrSet('empty', load, { shouldCache: (v) => v.length > 0 });
    expect(calls).toBe(2);
    await cache.getOrSet('skip', (ctx) => {
      ctx.skip();
      return 1;
    });
    expect(await cache.has('skip')).toBe(false);
  });

  it('deleteByTag removes tagged entries only', async () => {
    await cache.set('u1', 1, { tags: ['users'] });
    await cache.set('u2', 2, { tags: ['users', 'admins'] });
    await cache.set('p1', 3, { tags: ['posts'] });
    expect(await cache.deleteByTag('users')).toBe(2);
    expect(await cache.getMany(['u1', 'u2', 'p1'])).toEqual([undefined, undefined, 3]);
  });

  it('an entry tagged while its tag is being purged is still purged by the next purge', async () => {
    await cache.setMany(Array.from({ length: 3000 }, (_, i) => ({ key: `bulk:${i}`, value: i, tags: ['racing'] })));
    const purging = cache.deleteByTag('racing');
    // Lands in the middle of the purge (it takes several round trips): it must not lose its tag.
    await cache.set('late', 'fresh', { tags: ['racing'] });
    expect(await purging).toBeGreaterThanOrEqual(3000);
    await cache.deleteByTag('racing');
    expect(await cache.has('late')).toBe(false);
    expect(await cache.has('bulk:0')).toBe(false);
  });

  it('deleteByPattern matches within the namespace', async () => {
    await cache.setMany([
      { key: 'user:1', value: 1 },
      { key: 'user:2', value: 2 },
      { key: 'org:1', value: 3 },
    ]);
    expect(await cache.deleteByPattern('user:*')).toBe(2);
    expect(await cache.getMany(['user:1', 'user:2', 'org:1'])).toEqual([undefined, undefined, 3]);
  });

  it('clear(namespace) empties one namespace and leaves others', async () => {
    const other = cache.namespace('other');
    await cache.set('c1', 1);
    await other.set('c1', 2);
    await cache.clear();
    expect(await cache.get('c1')).toBeUndefined();
    expect(await other.get('c1')).toBe(2);
    await cache.clear('other');
    expect(await other.get('c1')).toBeUndefined();
  });

  it('bumpVersion invalidates a namespace at once', async () => {
    const ns = cache.namespace('versioned');
    await ns.set('k', 'old');
    const before = await ns.keyFor('k');
    await ns.bumpVersion();
    expect(await ns.get('k')).toBeUndefined();
    expect(await ns.keyFor('k')).not.toBe(before);
  });

  it('typed hash, counter and set helpers', async () => {
    const post = cache.hash<{ title: string; views: number }>('post:1');
    await post.set({ title: 'hello', views: 1 });
    expect(await post.incr('views', 2)).toBe(3);
    expect(await post.get('title')).toBe('hello');
    expect(await post.getNumber('views')).toBe(3);
    expect(await post.getAll()).toEqual({ title: 'hello', views: '3' });
    const counter = cache.counter('visits', { ttl: '1h' });
    await counter.incr();
    await counter.incr(4);
    expect(await counter.value()).toBe(5);
    const tagsSet = cache.setOf<string>('labels');
    expect(await tagsSet.add('a', 'b', 'a')).toBe(2);
    expect(await tagsSet.has('a')).toBe(true);
    expect((await tagsSet.members()).sort()).toEqual(['a', 'b']);
    expect(await tagsSet.size()).toBe(2);
  });

  it('rejects malformed and oversized keys, TTLs, tags and patterns', async () => {
    await expect(cache.get('')).rejects.toBeInstanceOf(ValidationError);
    await expect(cache.get('x'.repeat(70_000))).rejects.toBeInstanceOf(ValidationError);
    await expect(cache.set('k', 1, { ttl: '5 parsecs' })).rejects.toBeInstanceOf(ValidationError);
    await expect(cache.set('k', 1, { ttl: -1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(cache.set('k', 1, { tags: [''] })).rejects.toBeInstanceOf(ValidationError);
    await expect(cache.deleteByPattern('*'.repeat(5))).rejects.toBeInstanceOf(ValidationError);
    await expect(cache.deleteByPattern('a\u0000b')).rejects.toBeInstanceOf(ValidationError);
    expect(() => cache.namespace('bad:ns')).toThrow(ValidationError);
  });

  it('hashes over-long keys and still round-trips them', async () => {
    const long = 'k'.repeat(1000);
    await cache.set(long, 'long');
    expect(await cache.get(long)).toBe('long');
    expect((await cache.keyFor(long)).length).toBeLessThan(100);
  });

  it('prune() drops expired L1 entries and dangling tag-index members', async () => {
    const clock = frozenClock();
    let result;
    try {
      await cache.set('pr1', 1, { ttl: '30ms', tags: ['prune'] });
      await cache.set('pr2', 2, { ttl: '1h', tags: ['prune'] });
      clock.advance(80);
      // Redis expires keys by its own clock: wait for that signal too.
      const raw = cache.raw;
      const pr1 = await cache.keyFor('pr1');
      if (raw !== null) await eventually(async () => (await raw.exists(pr1)) === 0, 5_000, 'Redis to expire pr1');
      result = await cache.prune();
    } finally {
      clock.restore();
    }
    expect(result.l1Expired).toBeGreaterThanOrEqual(1);
    expect(result.tagIndexEntriesRemoved).toBeGreaterThanOrEqual(1);
    expect(await cache.deleteByTag('prune')).toBe(1);
  });

  const browseAll = async (pattern: string): Promise<string[]> => {
    const admin = cache.admin();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const page = await admin.browse(pattern, cursor, 10);
      keys.push(...page.keys.map((info) => info.key));
      cursor = page.cursor;
    } while (cursor !== '0');
    return [...new Set(keys)];
  };

  it('the admin key browser lists every live key when expired keys sit between them', async () => {
    for (let i = 0; i < 300; i++) await cache.set(`br:${i}`, i, { ttl: i % 6 === 5 ? 1 : '1h' });
    const written = Date.now();
    await eventually(() => Date.now() > written + 1, 5_000, 'the 1 ms TTLs to pass');
    expect(await browseAll('api:v1:br:*')).toHaveLength(250);
  });

  it('prune() visits every tag index while it deletes emptied ones (more than one SCAN page)', async () => {
    for (let i = 0; i < 700; i++) await cache.set(`prt:${i}`, i, { tags: [`prt-${i}`] });
    expect(await cache.deleteByPattern('prt:*')).toBe(700);
    expect(await browseAll('__tag:api:prt-*')).toHaveLength(700);
    expect((await cache.prune()).tagIndexEntriesRemoved).toBeGreaterThanOrEqual(700);
    expect(await browseAll('__tag:api:prt-*')).toEqual([]);
  });

  it('reports health and stats', async () => {
    expect(await cache.health()).toEqual({ ok: true });
    const stats = cache.stats();
    expect(stats.driver).toBe(mode);
    expect(stats.l1.entries).toBeGreaterThan(0);
    expect(stats.counters.l1Hits).toBeGreaterThan(0);
  });
});

describe.each(['memory', 'redis'] as const)('namespace views (%s)', (mode) => {
  it("a view's close() leaves the connections it shares with the root open", async () => {
    const prefix = randomPrefix(`view-${mode}`);
    const redis = mode === 'redis' ? { url: REDIS_URL, keyPrefix: prefix } : null;
    const root = await createCache({ redis, keyPrefix: prefix, namespace: 'root' });
    const probe = mode === 'redis' ? await createCache({ redis, namespace: 'root', l1: false }) : undefined;
    try {
      await root.set('before', 1);
      await root.namespace('view').close();
      expect(await root.get('before')).toBe(1);
      await root.set('after', 2);
      expect((await root.health()).ok).toBe(true);
      // The write reached L2, not just the root's L1.
      if (probe !== undefined) expect(await probe.get('after')).toBe(2);
      expect(root.stats().counters.l2Errors).toBe(0);
    } finally {
      await probe?.close();
      await root.close();
      if (mode === 'redis') await dropPrefix(prefix);
    }
  });
});

describe('a Redis client with an ioredis keyPrefix (URL ?keyPrefix=)', () => {
  it('pattern deletes, clear() and the key browser find the keys', async () => {
    const clientPrefix = randomPrefix('kp');
    const cache = await createCache({ redis: { url: `${REDIS_URL}/?keyPrefix=${clientPrefix}:`, keyPrefix: 'app' }, namespace: 'kp' });
    try {
      for (let i = 0; i < 5; i++) await cache.set(`user:${i}`, i);
      await cache.set('other', 1);
      expect(await cache.raw?.exists(await cache.keyFor('user:0'))).toBe(1);
      const browsed: string[] = [];
      let cursor = '0';
      do {
        const page = await cache.admin().browse('kp:*', cursor, 1000);
        browsed.push(...page.keys.map((info) => info.key));
        cursor = page.cursor;
      } while (cursor !== '0');
      expect(browsed).toContain(await cache.keyFor('user:0'));
      expect(browsed).toHaveLength(6);
      expect(await cache.deleteByPattern('user:*')).toBe(5);
      expect(await cache.clear()).toBe(1);
      expect(await cache.get('other')).toBeUndefined();
    } finally {
      await cache.close();
      await dropPrefix(clientPrefix);
    }
  });
});
