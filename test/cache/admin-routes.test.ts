import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheAdminRoutes, createCache, type Cache } from '../../src/cache/index.ts';
import { AiStackError } from '../../src/shared/errors.ts';
import { REDIS_URL, dropPrefix, randomPrefix } from './support.ts';

describe('cache admin routes', () => {
  const prefix = randomPrefix('admin');
  let cache: Cache;
  let app: FastifyInstance;

  beforeAll(async () => {
    cache = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix }, namespace: 'adm', registry: new Registry() });
    app = Fastify();
    // Stand-in for the app's global problem+json handler: typed errors carry their status.
    app.setErrorHandler((error: unknown, _req, reply) => {
      if (error instanceof AiStackError) return reply.status(error.status).send({ code: error.code, detail: error.message });
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      return reply.status(status).send({ code: 'error', detail: (error as Error).message });
    });
    await app.register(cacheAdminRoutes(cache), { prefix: '/admin/cache' });
    await app.ready();
    await cache.set('user:1', { name: 'Ada', born: new Date('1815-12-10T00:00:00Z'), n: 10n }, { ttl: '1h' });
    await cache.set('user:2', { name: 'Alan' });
    await cache.hash('stats').set({ views: 3 });
  });
  afterAll(async () => {
    await app.close();
    await cache.close();
    await dropPrefix(prefix);
  });

  it('GET /stats reports counters, L1 and health', async () => {
    const res = await app.inject({ method: 'GET', url: '/admin/cache/stats' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ driver: 'redis', bus: true, health: { ok: true }, keyPrefix: `${prefix}:` });
    expect(body.l1.entries).toBeGreaterThan(0);
  });

  it('GET /keys browses by pattern with type, TTL and size', async () => {
    const keys: { key: string; type: string; ttlMs: number; sizeBytes: number }[] = [];
    let cursor = '0';
    do {
      const res = await app.inject({ method: 'GET', url: `/admin/cache/keys?pattern=${encodeURIComponent('adm:*')}&count=50&cursor=${cursor}` });
      expect(res.statusCode).toBe(200);
      keys.push(...res.json().keys);
      cursor = res.json().cursor;
    } while (cursor !== '0');
    const user1 = keys.find((k) => k.key.endsWith(':user:1'));
    expect(user1).toMatchObject({ type: 'string' });
    expect(user1?.ttlMs).toBeGreaterThan(0);
    expect(user1?.sizeBytes).toBeGreaterThan(0);
    expect(keys.find((k) => k.key.endsWith(':stats'))?.type).toBe('hash');
    expect(keys.every((k) => k.key.startsWith(`${prefix}:adm:`))).toBe(true);
  });

  it('GET /keys/:key returns the decoded value, JSON-safe', async () => {
    const key = await cache.keyFor('user:1');
    const res = await app.inject({ method: 'GET', url: `/admin/cache/keys/${encodeURIComponent(key)}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ type: 'string', value: { name: 'Ada', born: '1815-12-10T00:00:00.000Z', n: '10' }, truncated: false });
    const hash = await app.inject({ method: 'GET', url: `/admin/cache/keys/${encodeURIComponent(await cache.keyFor('stats'))}` });
    expect(hash.json()).toMatchObject({ type: 'hash', value: { views: '3' } });
  });

  it('DELETE /keys/:key and POST /keys/delete remove keys from every tier', async () => {
    const key = await cache.keyFor('user:1');
    expect(await cache.get('user:1')).toBeDefined();
    const res = await app.inject({ method: 'DELETE', url: `/admin/cache/keys/${encodeURIComponent(key)}` });
    expect(res.json()).toEqual({ deleted: 1 });
    expect(await cache.get('user:1')).toBeUndefined();
    const gone = await app.inject({ method: 'GET', url: `/admin/cache/keys/${encodeURIComponent(key)}` });
    expect(gone.statusCode).toBe(404);
    expect(await cache.get('user:2')).toBeDefined();
    const byPattern = await app.inject({ method: 'POST', url: '/admin/cache/keys/delete', payload: { pattern: 'adm:*:user:*' } });
    expect(byPattern.json()).toEqual({ deleted: 1 });
    expect(await cache.get('user:2')).toBeUndefined();
  });

  it('rejects malformed, oversized and hostile input', async () => {
    const bad = async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object): Promise<number> => {
      const res = await app.inject({ method, url, ...(payload ? { payload } : {}) });
      // Every rejection is our typed ValidationError, not a framework-specific error shape.
      if (res.statusCode === 400) expect(res.json().code).toBe('validation_failed');
      return res.statusCode;
    };
    expect(await bad('GET', '/admin/cache/keys?count=100000')).toBe(400);
    expect(await bad('GET', '/admin/cache/keys?count=abc')).toBe(400);
    expect(await bad('GET', '/admin/cache/keys?cursor=-1')).toBe(400);
    expect(await bad('GET', `/admin/cache/keys?pattern=${'a'.repeat(300)}`)).toBe(400);
    expect(await bad('GET', `/admin/cache/keys?pattern=${encodeURIComponent('*****')}`)).toBe(400);
    expect(await bad('GET', `/admin/cache/keys?pattern=${encodeURIComponent('a\u0001')}`)).toBe(400);
    // Keys outside the cache keyspace are refused, not read.
    expect(await bad('GET', `/admin/cache/keys/${encodeURIComponent('bull:queue:1')}`)).toBe(400);
    expect(await bad('DELETE', `/admin/cache/keys/${encodeURIComponent('other-app:secret')}`)).toBe(400);
    expect(await bad('POST', '/admin/cache/keys/delete', {})).toBe(400);
    expect(await bad('POST', '/admin/cache/keys/delete', { keys: [], pattern: '*' })).toBe(400);
    expect(await bad('POST', '/admin/cache/keys/delete', { keys: Array.from({ length: 1001 }, (_, i) => `${prefix}:${i}`) })).toBe(400);
    expect(await bad('POST', '/admin/cache/keys/delete', { keys: ['x'.repeat(5000)] })).toBe(400);
  });
});
