import type { FastifyInstance } from 'fastify';
import { compressionPlugin, httpCachingPlugin, responseCachePlugin, type ResponseCacheStore } from '../../../../src/http/toolkit/index.ts';
import { testApp } from './app.ts';

/** A GET /items (cached, tag `items`) and POST /items (invalidates `items`) over the given store. */
export async function responsePlugins(store: ResponseCacheStore): Promise<{ app: FastifyInstance; hits: () => number }> {
  let runs = 0;
  const app = testApp();
  await app.register(httpCachingPlugin);
  await app.register(compressionPlugin);
  await app.register(responseCachePlugin, { store });
  app.get('/items', { config: { responseCache: { ttlMs: 60_000, tags: () => ['items'] } } }, async () => {
    runs++;
    return { items: Array.from({ length: 50 }, (_, i) => ({ i, name: `item ${i}` })) };
  });
  app.post('/items', { config: { invalidates: () => ['items'] } }, async () => ({ ok: true }));
  await app.ready();
  return { app, hits: () => runs };
}
