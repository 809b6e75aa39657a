import zlib from 'node:zlib';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import {
  apiToolkitPlugin,
  compressionPlugin,
  withApiToolkit,
  MemoryIdempotencyStore,
  MemoryRateLimitStore,
  MemoryResponseStore,
  responseCachePlugin,
  type BatchResponse,
  type ResponseCacheStore,
} from '../../../src/http/toolkit/index.ts';
import { fakeAuth, testApp } from './support/app.ts';

describe('apiToolkitPlugin: every part together, in the documented order', () => {
  let app: FastifyInstance;
  const notes: { id: number; text: string }[] = [];
  let listRuns = 0;
  beforeAll(async () => {
    app = testApp();
    await app.register(
      async (api) => {
        fakeAuth(api, { required: true });
        await api.register(apiToolkitPlugin, {
          rateLimit: { policies: { default: { limit: 50, windowMs: 60_000 } }, store: new MemoryRateLimitStore() },
          idempotency: { store: new MemoryIdempotencyStore() },
          caching: { defaultCacheControl: { scope: 'private', noCache: true } },
          responseCache: { store: new MemoryResponseStore() },
          batch: {},
        });
        api.get('/notes', { config: { responseCache: { ttlMs: 60_000, tags: () => ['notes'] } } }, async () => {
          listRuns++;
          return { data: notes, padding: 'n'.repeat(4000) };
        });
        api.post('/notes', { config: { invalidates: () => ['notes'] } }, async (request, reply) => {
          notes.push({ id: notes.length + 1, text: (request.body as { text: string }).text });
          return reply.code(201).send(notes.at(-1));
        });
      },
      { prefix: '/api/v1' },
    );
    await app.ready();
  });
  afterAll(() => app.close());

  const auth = { authorization: 'Bearer 9:write' };

  it('caches, compresses, validates, limits and replays on one route set', async () => {
    const miss = await app.inject({ url: '/api/v1/notes', headers: { ...auth, 'accept-encoding': 'zstd' } });
    expect(miss.statusCode).toBe(200);
    expect(miss.headers).toMatchObject({ 'x-cache': 'MISS', 'content-encoding': 'zstd', 'cache-control': 'private, no-cache' });
    expect(miss.headers['ratelimit']).toMatch(/^"default";r=49;t=\d+$/);
    const etag = miss.headers['etag'] as string;
    expect(etag).toMatch(/-zstd"$/);

    const hit = await app.inject({ url: '/api/v1/notes', headers: { ...auth, 'accept-encoding': 'zstd' } });
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers['etag']).toBe(etag);
    expect(zlib.zstdDecompressSync(hit.rawPayload).toString()).toBe(zlib.zstdDecompressSync(miss.rawPayload).toString());
    expect(listRuns).toBe(1);
    expect((await app.inject({ url: '/api/v1/notes', headers: { ...auth, 'if-none-match': etag } })).statusCode).toBe(304);

    const created = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: { ...auth, 'idempotency-key': 'n-1' }, payload: { text: 'hello' } });
    expect(created.statusCode).toBe(201);
    const replay = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: { ...auth, 'idempotency-key': 'n-1' }, payload: { text: 'hello' } });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(notes).toHaveLength(1);

    const fresh = await app.inject({ url: '/api/v1/notes', headers: { ...auth, 'if-none-match': etag } });
    expect(fresh.statusCode).toBe(200);
    expect(fresh.json<{ data: unknown[] }>().data).toHaveLength(1);
  });

  it('answers HEAD like GET, without a body', async () => {
    const head = await app.inject({ method: 'HEAD', url: '/api/v1/notes', headers: { ...auth, 'accept-encoding': 'gzip' } });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-encoding']).toBe('gzip');
    expect(head.headers['etag']).toMatch(/-gzip"$/);
    const get = await app.inject({ url: '/api/v1/notes', headers: { ...auth, 'accept-encoding': 'gzip' } });
    expect(get.headers['etag']).toBe(head.headers['etag']);
    expect(zlib.gunzipSync(get.rawPayload).toString()).toContain('"data"');
  });

  it('routes $batch sub-requests through the same hooks (auth, rate limit) uncompressed', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/$batch',
      headers: { ...auth, 'accept-encoding': 'gzip' },
      payload: {
        requests: [
          { id: 'a', method: 'POST', url: '/notes', body: { text: 'via batch' } },
          { id: 'b', method: 'GET', url: '/notes', dependsOn: ['a'] },
        ],
      },
    });
    expect(response.headers['content-encoding']).toBe('gzip');
    const body = JSON.parse(zlib.gunzipSync(response.rawPayload).toString()) as { responses: BatchResponse[] };
    const b = body.responses.find((r) => r.id === 'b');
    expect(b?.status).toBe(200);
    expect(b?.headers['content-encoding']).toBeUndefined();
    expect(b?.headers['ratelimit']).toMatch(/^"default";r=\d+/);
    expect((b?.body as { data: unknown[] }).data).toHaveLength(2);
  });
});

describe('response cache resilience', () => {
  it('serves from the handler when the store returns garbage or fails', async () => {
    const garbage: ResponseCacheStore = { get: async () => Buffer.from('not an entry'), set: async () => undefined, deleteByTag: async () => undefined };
    const failing: ResponseCacheStore = {
      get: async () => Promise.reject(new Error('redis down')),
      set: async () => Promise.reject(new Error('redis down')),
      deleteByTag: async () => undefined,
    };
    for (const store of [garbage, failing]) {
      const app = testApp();
      await app.register(responseCachePlugin, { store });
      app.get('/x', { config: { responseCache: { ttlMs: 1000 } } }, async () => ({ fine: true }));
      const response = await app.inject({ url: '/x' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-cache']).toBe('MISS');
      expect(response.json()).toEqual({ fine: true });
      await app.close();
    }
  });
});

describe('metrics', () => {
  it('counts response-cache outcomes and compression bytes in the given registry', async () => {
    const registry = new Registry();
    const app = testApp();
    await app.register(compressionPlugin, { registry });
    await app.register(responseCachePlugin, { store: new MemoryResponseStore(), registry });
    app.get('/x', { config: { responseCache: { ttlMs: 60_000 } } }, async () => ({ text: 'y'.repeat(5000) }));
    await app.inject({ url: '/x', headers: { 'accept-encoding': 'gzip' } });
    await app.inject({ url: '/x', headers: { 'accept-encoding': 'gzip' } });
    const text = await registry.metrics();
    expect(text).toContain('ai_stack_http_response_cache_total{outcome="miss"} 1');
    expect(text).toContain('ai_stack_http_response_cache_total{outcome="hit"} 1');
    expect(text).toMatch(/ai_stack_http_compression_bytes_total\{coding="gzip",stage="in"\} 50\d\d/);
    await app.close();
  });
});

describe('withApiToolkit', () => {
  it('works as the first of a list of route plugins, each registered as its own child context', async () => {
    const app = testApp();
    const routes = async (api: FastifyInstance): Promise<void> => {
      api.get('/things', async () => ({ things: 't'.repeat(3000) }));
    };
    await app.register(
      async (api) => {
        fakeAuth(api);
        for (const plugin of [withApiToolkit({ rateLimit: { policies: { default: { limit: 5, windowMs: 60_000 } } } }), routes]) await api.register(plugin);
      },
      { prefix: '/api/v1' },
    );
    const response = await app.inject({ url: '/api/v1/things', headers: { 'accept-encoding': 'gzip' } });
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.headers['ratelimit']).toMatch(/^"default";r=4;/);
    expect(response.headers['etag']).toMatch(/-gzip"$/);
    await app.close();
  });
});
