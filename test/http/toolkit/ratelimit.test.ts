import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { parseList, type Item } from 'structured-headers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import {
  createRateLimiter,
  groupAddress,
  MemoryRateLimitStore,
  rateLimitPlugin,
  RedisRateLimitStore,
  type RateLimitStore,
} from '../../../src/http/toolkit/index.ts';
import { fakeAuth, randomPrefix, testApp } from './support/app.ts';
import { deletePrefix, SHARED_REDIS_URL, startThrowawayRedis } from './support/redis.ts';

/** Parses a RateLimit / RateLimit-Policy field strictly as an RFC 9651 List and returns name → params. */
function parseRateLimitField(value: unknown): Map<string, Map<string, unknown>> {
  expect(typeof value).toBe('string');
  const list = parseList(value as string);
  const result = new Map<string, Map<string, unknown>>();
  for (const member of list) {
    const [name, params] = member as Item;
    expect(typeof name === 'string' || (typeof name === 'object' && name !== null)).toBe(true);
    result.set(String(typeof name === 'string' ? name : (name as { toString(): string }).toString()), params);
  }
  return result;
}

function sharedBehaviour(label: string, makeStore: () => RateLimitStore): void {
  describe(`createRateLimiter on ${label}`, () => {
    it('allows `limit` requests in a burst, then refuses with a retry-after', async () => {
      const limiter = createRateLimiter({ limit: 3, windowMs: 60_000, store: makeStore(), name: 'burst' });
      const key = `user_${Math.random()}`;
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await limiter.isAllowed(key));
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0]);
      expect(results[3]?.retryAfterMs).toBeGreaterThan(0);
      expect(results[3]?.retryAfterMs).toBeLessThanOrEqual(20_000);
      expect(results[2]?.resetMs).toBeGreaterThan(40_000);
      expect(results[3]?.source).toBe('store');
      // Another key has its own bucket.
      expect((await limiter.isAllowed(`${key}-other`)).allowed).toBe(true);
    });

    it('weighs requests by cost and rejects a cost outside 1..limit', async () => {
      const limiter = createRateLimiter({ limit: 10, windowMs: 60_000, store: makeStore() });
      const key = `cost_${Math.random()}`;
      expect((await limiter.isAllowed(key, 8)).remaining).toBe(2);
      expect((await limiter.isAllowed(key, 3)).allowed).toBe(false);
      expect((await limiter.isAllowed(key, 2)).allowed).toBe(true);
      await expect(limiter.isAllowed(key, 0)).rejects.toMatchObject({ status: 400 });
      await expect(limiter.isAllowed(key, 11)).rejects.toMatchObject({ status: 400 });
      await expect(limiter.isAllowed(key, 1.5)).rejects.toMatchObject({ status: 400 });
    });

    it('refills over time (GCRA: one unit per window/limit)', async () => {
      const limiter = createRateLimiter({ limit: 2, windowMs: 200, store: makeStore() });
      const key = `refill_${Math.random()}`;
      await limiter.isAllowed(key);
      await limiter.isAllowed(key);
      const refused = await limiter.isAllowed(key);
      expect(refused.allowed).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, refused.retryAfterMs + 20));
      expect((await limiter.isAllowed(key)).allowed).toBe(true);
    });

    it('bounds hostile keys', async () => {
      const limiter = createRateLimiter({ limit: 1, windowMs: 60_000, store: makeStore() });
      const huge = 'k'.repeat(100_000) + Math.random();
      expect((await limiter.isAllowed(huge)).allowed).toBe(true);
      expect((await limiter.isAllowed(huge)).allowed).toBe(false);
      expect((await limiter.isAllowed('ключ\u0000\n*')).allowed).toBe(true);
    });
  });
}

const redis = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
const prefix = randomPrefix('rl');
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

sharedBehaviour('memory', () => new MemoryRateLimitStore());
sharedBehaviour('Redis (Lua GCRA)', () => new RedisRateLimitStore({ redis, keyPrefix: prefix }));

describe('limiter configuration', () => {
  it.each([
    [{ limit: 0, windowMs: 1000 }],
    [{ limit: 1.5, windowMs: 1000 }],
    [{ limit: 10, windowMs: 0 }],
    [{ limit: 10, windowMs: 1000, name: 'bad "name"' }],
  ])('rejects %j', (options) => {
    expect(() => createRateLimiter(options)).toThrow(/policy/);
  });

  it('counts decisions in the given registry', async () => {
    const registry = new Registry();
    const limiter = createRateLimiter({ limit: 1, windowMs: 60_000, registry });
    await limiter.isAllowed('a');
    await limiter.isAllowed('a');
    const text = await registry.metrics();
    expect(text).toContain('ai_stack_rate_limit_decisions_total{policy="default",outcome="allowed",source="store"} 1');
    expect(text).toContain('outcome="limited"');
  });

  it('forgets the least recently allowed keys beyond maxKeys', async () => {
    const store = new MemoryRateLimitStore({ maxKeys: 2 });
    const policy = { limit: 1, windowMs: 60_000 };
    store.consumeSync('a', policy, 1);
    store.consumeSync('b', policy, 1);
    store.consumeSync('c', policy, 1);
    expect(store.size).toBe(2);
    expect(store.consumeSync('a', policy, 1).allowed).toBe(true); // evicted, so a fresh bucket
    expect(store.consumeSync('c', policy, 1).allowed).toBe(false);
  });

  it('groups IPv6 clients by /56 and unwraps IPv4-mapped addresses', () => {
    expect(groupAddress('2001:db8:abcd:12ff:1::1')).toBe(groupAddress('2001:db8:abcd:1200::9'));
    expect(groupAddress('2001:db8:abcd:12ff::1')).not.toBe(groupAddress('2001:db8:abcd:1300::1'));
    expect(groupAddress('2001:db8:abcd:12ff::1')).toBe('2001:db8:abcd:1200:0:0:0:0/56');
    expect(groupAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(groupAddress('192.0.2.1')).toBe('192.0.2.1');
    expect(groupAddress('not an ip')).toBe('not an ip');
  });
});

describe('Redis store failures (throwaway redis-server)', () => {
  it('reloads the script on NOSCRIPT and falls back to the insurance limiter when Redis dies', async () => {
    const server = await startThrowawayRedis();
    const client = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    client.on('error', () => undefined); // the test kills the server on purpose
    try {
      await client.connect();
      const store = new RedisRateLimitStore({ redis: client, timeoutMs: 300 });
      const limiter = createRateLimiter({ limit: 2, windowMs: 60_000, store, name: 'ins' });
      expect((await limiter.isAllowed('k')).source).toBe('store');
      await client.script('FLUSH');
      const afterFlush = await limiter.isAllowed('k');
      expect(afterFlush).toMatchObject({ source: 'store', allowed: true, remaining: 0 }); // counted once, not twice
      expect((await limiter.isAllowed('k')).allowed).toBe(false);

      await server.stop();
      const insured = await limiter.isAllowed('k');
      expect(insured).toMatchObject({ source: 'insurance', allowed: true });

      const open = createRateLimiter({ limit: 1, windowMs: 60_000, store, onStoreError: 'open' });
      expect(await open.isAllowed('k')).toMatchObject({ allowed: true, source: 'fail-open' });
      const closed = createRateLimiter({ limit: 1, windowMs: 60_000, store, onStoreError: 'closed' });
      expect(await closed.isAllowed('k')).toMatchObject({ allowed: false, source: 'fail-closed' });
    } finally {
      client.disconnect();
      await server.stop();
    }
  }, 20_000);
});

describe('rateLimitPlugin over HTTP', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = testApp();
    await app.register(
      async (api) => {
        fakeAuth(api);
        await api.register(rateLimitPlugin, {
          policies: { default: { limit: 3, windowMs: 60_000 }, search: { limit: 1, windowMs: 10_000 }, premium: { limit: 5, windowMs: 60_000 } },
          policyFor: (request) => (request.headers['x-plan'] === 'premium' ? 'premium' : undefined),
          store: new RedisRateLimitStore({ redis, keyPrefix: prefix }),
        });
        api.get('/items', async () => ({ ok: true }));
        api.get('/search', { config: { rateLimit: { policy: 'search' } } }, async () => ({ ok: true }));
        api.get('/health', { config: { rateLimit: false } }, async () => ({ ok: true }));
      },
      { prefix: `/${prefix.replaceAll(':', '')}` },
    );
    await app.ready();
  });
  afterAll(() => app.close());
  const url = (path: string): string => `/${prefix.replaceAll(':', '')}${path}`;

  it('emits structured-field headers and a 429 problem with Retry-After', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await app.inject({ url: url('/items'), headers: { authorization: 'Bearer 41:read' } });
      statuses.push(response.statusCode);
      const policy = parseRateLimitField(response.headers['ratelimit-policy']);
      expect(policy.get('default')?.get('q')).toBe(3);
      expect(policy.get('default')?.get('w')).toBe(60);
      const state = parseRateLimitField(response.headers['ratelimit']);
      expect(state.get('default')?.get('r')).toBe(Math.max(0, 2 - i));
      expect(Number.isInteger(state.get('default')?.get('t'))).toBe(true);
      if (response.statusCode === 429) {
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json()).toMatchObject({ status: 429, code: 'rate_limited' });
        const retryAfter = Number(response.headers['retry-after']);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeGreaterThanOrEqual(state.get('default')?.get('t') as number);
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('counts per API key, per route policy and per-key policy; exempt routes are not counted', async () => {
    const other = await app.inject({ url: url('/items'), headers: { authorization: 'Bearer 42:read' } });
    expect(other.statusCode).toBe(200);
    expect((await app.inject({ url: url('/search'), headers: { authorization: 'Bearer 42:read' } })).statusCode).toBe(200);
    const second = await app.inject({ url: url('/search'), headers: { authorization: 'Bearer 42:read' } });
    expect(second.statusCode).toBe(429);
    expect(parseRateLimitField(second.headers['ratelimit-policy']).get('search')?.get('q')).toBe(1);
    const premium = await app.inject({ url: url('/items'), headers: { authorization: 'Bearer 43:read', 'x-plan': 'premium' } });
    expect(parseRateLimitField(premium.headers['ratelimit-policy']).get('premium')?.get('q')).toBe(5);
    const health = await app.inject({ url: url('/health') });
    expect(health.headers['ratelimit']).toBeUndefined();
  });

  it('limits anonymous callers by address, IPv6 by /56', async () => {
    const hit = (remoteAddress: string) => app.inject({ url: url('/items'), remoteAddress });
    for (let i = 0; i < 3; i++) expect((await hit(`2001:db8:77:${i}::${i + 1}`)).statusCode).toBe(200);
    expect((await hit('2001:db8:77:ff::1')).statusCode).toBe(429);
    expect((await hit('2001:db8:78::1')).statusCode).toBe(200);
  });

  it('refuses to start with an undeclared default policy', async () => {
    const broken = testApp();
    await expect(broken.register(rateLimitPlugin, { policies: { x: { limit: 1, windowMs: 1000 } } }).ready()).rejects.toThrow(/default policy/);
    await broken.close();
    const undeclared = testApp();
    await undeclared.register(rateLimitPlugin, { policies: { default: { limit: 1, windowMs: 1000 } } });
    expect(() => undeclared.get('/x', { config: { rateLimit: { policy: 'nope' } } }, async () => 'x')).toThrow(/undeclared rate-limit policy "nope"/);
    await undeclared.close();
  });
});
