import Fastify, { type FastifyInstance } from 'fastify';
import {
  apiToolkitPlugin,
  MemoryIdempotencyStore,
  MemoryRateLimitStore,
  MemoryResponseStore,
} from '../../src/http/toolkit/index.ts';
import { measure, type LoadFigures } from './load.ts';

// A typical list page: 20 rows, ~2.6 KB of JSON.
const rows = Array.from({ length: 20 }, (_, i) => ({ id: i + 1, customer: `Customer ${i + 1}`, status: i % 3 === 0 ? 'paid' : 'open', total: 100 + i * 7.5, created_at: new Date(1_780_000_000_000 + i * 60_000).toISOString(), note: 'Deliver to the loading dock at the back.' }));
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

export async function benchList(duration: number): Promise<Record<string, LoadFigures>> {
  const load = { duration, connections: 20, paths: ['/api/v1/orders'] };
  const figures: Record<string, LoadFigures> = {};
  // Alternate and repeat so a noisy neighbour does not land on one side only.
  for (let round = 0; round < 3; round++) {
    const runs: [string, () => Promise<FastifyInstance>, Record<string, string>][] = [
      ['fastify-bare', async () => bare(), {}],
      ['ai-stack', () => withToolkit(false), {}],
      ['ai-stack (client accepts br)', () => withToolkit(false), { 'accept-encoding': 'br, gzip' }],
      ['ai-stack + response cache (br)', () => withToolkit(true), { 'accept-encoding': 'br, gzip' }],
    ];
    for (const [name, build, headers] of runs) {
      const result = await measure(await build(), { ...load, headers });
      const previous = figures[name];
      // Best run by req/s; CPU per request is the least-disturbed (lowest) of all runs.
      if (previous === undefined || result.rps > previous.rps) figures[name] = { ...result, cpuUsPerRequest: Math.min(result.cpuUsPerRequest, previous?.cpuUsPerRequest ?? Infinity) };
      else previous.cpuUsPerRequest = Math.min(previous.cpuUsPerRequest, result.cpuUsPerRequest);
    }
  }
  return figures;
}
