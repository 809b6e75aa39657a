import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import {
  compressionPlugin,
  etagForBody,
  formatCacheControl,
  httpCachingPlugin,
  ifNoneMatchMatches,
  invalidateTags,
  MemoryResponseStore,
  responseCachePlugin,
} from '../../../src/http/toolkit/index.ts';
import { fakeAuth, testApp } from './support/app.ts';

describe('If-None-Match comparison', () => {
  it('uses weak comparison, lists and *', () => {
    expect(ifNoneMatchMatches('"abc"', '"abc"')).toBe(true);
    expect(ifNoneMatchMatches('W/"abc"', '"abc"')).toBe(true);
    expect(ifNoneMatchMatches('"x", W/"abc" , "y"', '"abc"')).toBe(true);
    expect(ifNoneMatchMatches('*', '"abc"')).toBe(true);
    expect(ifNoneMatchMatches('"abd"', '"abc"')).toBe(false);
    expect(ifNoneMatchMatches('abc', '"abc"')).toBe(false);
    expect(ifNoneMatchMatches('"abc-br"', '"abc-gzip"')).toBe(true);
    expect(ifNoneMatchMatches(`${'"x",'.repeat(5000)}"abc"`, '"abc"')).toBe(false);
  });

  it('gives different bodies different strong ETags even when their CRC-32 collides', () => {
    // Same length, same CRC-32 (found by a birthday search): a 32-bit validator answered 304 for the changed body.
    const [a, b] = ['{"name":"customer 109685295"}', '{"name":"customer 112060020"}'];
    expect(zlib.crc32(a)).toBe(zlib.crc32(b));
    expect(etagForBody(a)).not.toBe(etagForBody(b));
    expect(ifNoneMatchMatches(etagForBody(a), etagForBody(b))).toBe(false);
  });

  it('derives one ETag from a body whether it is a string or its UTF-8 bytes, and carries the length', () => {
    for (const body of ['', 'plain ascii', 'ünïcødé ✓ 𝄞 emoji 😀', 'x'.repeat(200_000), '€'.repeat(70_000)]) {
      const tag = etagForBody(body);
      expect(tag).toBe(etagForBody(Buffer.from(body)));
      expect(tag).toMatch(/^"[\x21\x23-\x7e]+"$/);
      expect(tag).toContain(`.${Buffer.byteLength(body).toString(36)}"`);
    }
    // A body of 423 bytes has length "br" in base 36: it must not read as a coding suffix.
    expect(ifNoneMatchMatches(etagForBody('a'.repeat(423)), etagForBody('b'.repeat(423)))).toBe(false);
  });

  it('formats Cache-Control directives', () => {
    expect(formatCacheControl({ scope: 'private', noCache: true })).toBe('private, no-cache');
    expect(formatCacheControl({ scope: 'public', maxAgeSeconds: 60.7, sharedMaxAgeSeconds: 300, staleWhileRevalidateSeconds: -5 })).toBe(
      'public, max-age=60, s-maxage=300, stale-while-revalidate=0',
    );
  });
});

describe('httpCachingPlugin', () => {
  let app: FastifyInstance;
  const documents = new Map<number, { id: number; version: number; title: string }>([[1, { id: 1, version: 1, title: 'first' }]]);
  let handlerRuns = 0;
  beforeAll(async () => {
    app = testApp();
    await app.register(httpCachingPlugin, { defaultCacheControl: { scope: 'private', noCache: true } });
    await app.register(compressionPlugin);
    app.get('/hashed/:id', async (request) => {
      handlerRuns++;
      return documents.get(Number((request.params as { id: string }).id)) ?? null;
    });
    app.get(
      '/versioned/:id',
      {
        config: {
          etag: async (request) => {
            const doc = documents.get(Number((request.params as { id: string }).id));
            return doc === undefined ? null : String(doc.version);
          },
          cacheControl: { scope: 'private', maxAgeSeconds: 0, mustRevalidate: true },
        },
      },
      async (request) => {
        handlerRuns++;
        return { ...documents.get(Number((request.params as { id: string }).id)), padding: 'x'.repeat(2000) };
      },
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it('answers 304 for an unchanged resource and 200 after it changes', async () => {
    const first = await app.inject({ url: '/hashed/1' });
    expect(first.statusCode).toBe(200);
    const etag = first.headers['etag'] as string;
    expect(etag).toBe(etagForBody(first.body));
    expect(first.headers['cache-control']).toBe('private, no-cache');

    const again = await app.inject({ url: '/hashed/1', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers['etag']).toBe(etag);

    documents.set(1, { id: 1, version: 2, title: 'changed' });
    const changed = await app.inject({ url: '/hashed/1', headers: { 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ title: 'changed' });
    expect(changed.headers['etag']).not.toBe(etag);
  });

  it('answers 304 from the version lookup without running the handler', async () => {
    const first = await app.inject({ url: '/versioned/1' });
    const etag = first.headers['etag'] as string;
    expect(etag).toBe(`"v${documents.get(1)?.version}"`);
    expect(first.headers['cache-control']).toBe('private, max-age=0, must-revalidate');
    const runs = handlerRuns;
    const again = await app.inject({ url: '/versioned/1', headers: { 'if-none-match': `W/${etag}, "other"` } });
    expect(again.statusCode).toBe(304);
    expect(handlerRuns).toBe(runs);

    documents.set(1, { id: 1, version: 3, title: 'v3' });
    const changed = await app.inject({ url: '/versioned/1', headers: { 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(handlerRuns).toBe(runs + 1);
  });

  it('gives each coding its own strong ETag, and any of them revalidates', async () => {
    const br = await app.inject({ url: '/versioned/1', headers: { 'accept-encoding': 'br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['etag']).toMatch(/-br"$/);
    const gzip = await app.inject({ url: '/versioned/1', headers: { 'accept-encoding': 'gzip', 'if-none-match': br.headers['etag'] as string } });
    expect(gzip.statusCode).toBe(304);
  });

  it('* matches any current representation; garbage matches nothing', async () => {
    expect((await app.inject({ url: '/hashed/1', headers: { 'if-none-match': '*' } })).statusCode).toBe(304);
    expect((await app.inject({ url: '/hashed/1', headers: { 'if-none-match': '"\u0000' } })).statusCode).toBe(200);
  });
});

describe('responseCachePlugin', () => {
  let app: FastifyInstance;
  const store = new MemoryResponseStore();
  const orders = [{ id: 1, total: 10 }];
  let listRuns = 0;
  beforeAll(async () => {
    app = testApp();
    await app.register(
      async (api) => {
        fakeAuth(api);
        await api.register(httpCachingPlugin);
        await api.register(compressionPlugin);
        await api.register(responseCachePlugin, { store });
        api.get('/orders', { config: { responseCache: { ttlMs: 60_000, tags: () => ['orders'], vary: ['accept-language'] } } }, async () => {
          listRuns++;
          return { data: orders, padding: 'p'.repeat(3000) };
        });
        api.post('/orders', { config: { invalidates: () => ['orders'] } }, async (request, reply) => {
          orders.push({ id: orders.length + 1, total: Number((request.body as { total: number }).total) });
          return reply.code(201).send({ id: orders.length });
        });
        api.get('/uncached', async () => ({ n: listRuns }));
      },
      { prefix: '/api' },
    );
    await app.ready();
  });
  afterAll(() => app.close());

  const get = (headers: Record<string, string> = {}) => app.inject({ url: '/api/orders?page=1', headers: { authorization: 'Bearer 7:read', ...headers } });

  it('serves repeats from the cache, compressed once, and revalidates to 304', async () => {
    const miss = await get({ 'accept-encoding': 'br' });
    expect(miss.headers['x-cache']).toBe('MISS');
    const runs = listRuns;
    const hit = await get({ 'accept-encoding': 'br' });
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(listRuns).toBe(runs);
    expect(hit.headers['content-encoding']).toBe('br');
    expect(hit.headers['vary']).toContain('Accept-Encoding');
    expect(zlib.brotliDecompressSync(hit.rawPayload).toString()).toBe(zlib.brotliDecompressSync(miss.rawPayload).toString());
    const notModified = await get({ 'accept-encoding': 'br', 'if-none-match': hit.headers['etag'] as string });
    expect(notModified.statusCode).toBe(304);
  });

  it('keys by coding, Vary header and API key', async () => {
    await get({ 'accept-encoding': 'gzip' });
    const gzipHit = await get({ 'accept-encoding': 'gzip' });
    expect(gzipHit.headers['x-cache']).toBe('HIT');
    expect(gzipHit.headers['content-encoding']).toBe('gzip');
    expect((await get({ 'accept-encoding': 'gzip', 'accept-language': 'fr' })).headers['x-cache']).toBe('MISS');
    expect((await get({ 'accept-encoding': 'gzip', authorization: 'Bearer 8:read' })).headers['x-cache']).toBe('MISS');
  });

  it('is purged by the tags a write declares', async () => {
    await get();
    expect((await get()).headers['x-cache']).toBe('HIT');
    const created = await app.inject({ method: 'POST', url: '/api/orders', headers: { authorization: 'Bearer 7:write' }, payload: { total: 5 } });
    expect(created.statusCode).toBe(201);
    const after = await get();
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.json<{ data: unknown[] }>().data).toHaveLength(orders.length);
  });

  it('does not store a response computed from data older than a purge on this node', async () => {
    const app = testApp();
    await app.register(responseCachePlugin, { store: new MemoryResponseStore() });
    let version = 1;
    let gate: Promise<void> | null = null;
    let reached = (): void => undefined;
    app.get('/doc', { config: { responseCache: { ttlMs: 60_000, tags: () => ['doc'] } } }, async () => {
      const seen = version; // read "the database" first …
      if (gate !== null) {
        reached();
        await gate; // … while a write lands
      }
      return { version: seen };
    });
    app.post('/doc', { config: { invalidates: () => ['doc'] } }, async () => ({ version: ++version }));
    let open = (): void => undefined;
    gate = new Promise<void>((resolve) => (open = resolve));
    const inHandler = new Promise<void>((resolve) => (reached = resolve));
    const slowRead = app.inject({ url: '/doc' });
    await inHandler;
    gate = null;
    await app.inject({ method: 'POST', url: '/doc' });
    open();
    expect((await slowRead).json()).toEqual({ version: 1 });
    const next = await app.inject({ url: '/doc' });
    expect(next.headers['x-cache']).toBe('MISS');
    expect(next.json()).toEqual({ version: 2 });
    await app.close();
  });

  it('treats a corrupt stored entry as a miss and leaves opted-out routes alone', async () => {
    const corrupt = new MemoryResponseStore();
    await corrupt.set('k', Buffer.from([0, 0, 0, 9, 1]), { ttlMs: 1000, tags: ['t'] });
    expect(await corrupt.get('k')).toBeDefined();
    await invalidateTags(corrupt, ['t', 't']);
    expect(await corrupt.get('k')).toBeUndefined();
    expect((await app.inject({ url: '/api/uncached' })).headers['x-cache']).toBeUndefined();
  });

  it('evicts by bytes and keeps the tag index consistent', async () => {
    const small = new MemoryResponseStore({ maxBytes: 100 });
    await small.set('a', Buffer.alloc(60), { ttlMs: 60_000, tags: ['x'] });
    await small.set('b', Buffer.alloc(60), { ttlMs: 60_000, tags: ['x'] });
    expect(await small.get('a')).toBeUndefined();
    await small.set('huge', Buffer.alloc(500), { ttlMs: 60_000, tags: ['y'] });
    expect(await small.get('huge')).toBeUndefined();
    await small.deleteByTag('x');
    expect(small.size).toBe(0);
  });
});
