import Fastify, { type FastifyInstance } from 'fastify';
import { apiToolkitPlugin, MemoryIdempotencyStore, MemoryRateLimitStore, MemoryResponseStore } from '../../src/http/toolkit/index.ts';
import type { Contender } from '../lib/rounds.ts';
import { measure, type LoadFigures } from './load.ts';

// A typical list page: 20 rows, ~2.6 KB of JSON.
const rows = Array.from({ length: 20 }, (_, i) => ({
  id: i + 1,
  customer: `Customer ${i + 1}`,
  status: i % 3 === 0 ? 'paid' : 'open',
  total: 100 + i * 7.5,
  created_at: new Date(1_780_000_000_000 + i * 60_000).toISOString(),
  note: 'Deliver to the loading dock at the back.',
}));
const handler = async (): Promise<unknown> => ({ data: rows, page: 1, page_size: 20, total: 20 });

function bare(): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/api/v1/orders', handler);
  return app;
}

async function withToolkit(responseCache: boolean): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(
    async (api) => {
      await api.register(apiToolkitPlugin, {
        // Limits high enough never to refuse: this measures the cost of checking.
        rateLimit: { policies: { default: { limit: 1_000_000_000, windowMs: 60_000 } }, store: new MemoryRateLimitStore() },
        idempotency: { store: new MemoryIdempotencyStore() },
        caching: { defaultCacheControl: { scope: 'private', noCache: true } },
        responseCache: { store: new MemoryResponseStore() },
      });
      api.get('/orders', responseCache ? { config: { responseCache: { ttlMs: 60_000, tags: () => ['orders'] } } } : {}, handler);
    },
    { prefix: '/api/v1' },
  );
  return app;
}

/** The variants of (1); response-cache figures are labelled as hits: after the first request every one is served from the cache. */
export function listContenders(duration: number): Array<Contender<LoadFigures>> {
  const load = { duration, connections: 20, paths: ['/api/v1/orders'] };
  const variants: Array<[string, () => Promise<FastifyInstance>, Record<string, string>]> = [
    ['fastify-bare', async () => bare(), {}],
    ['ai-stack', () => withToolkit(false), {}],
    ['ai-stack (client accepts br)', () => withToolkit(false), { 'accept-encoding': 'br, gzip' }],
    ['ai-stack, response-cache hits (br)', () => withToolkit(true), { 'accept-encoding': 'br, gzip' }],
  ];
  return variants.map(([name, build, headers]) => ({ name, run: async () => measure(await build(), { ...load, headers }) }));
}
