import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { batchPlugin, type BatchPluginOptions } from './batch/batch-plugin.ts';
import { idempotencyPlugin, type IdempotencyOptions } from './batch/idempotency-plugin.ts';
import { httpCachingPlugin, type HttpCachingOptions } from './caching/http-caching-plugin.ts';
import { responseCachePlugin, type ResponseCacheOptions } from './caching/response-cache-plugin.ts';
import { compressionPlugin, type CompressionOptions } from './compression/plugin.ts';
import { rateLimitPlugin, type RateLimitPluginOptions } from './ratelimit/plugin.ts';

/** Each part is on by default where it needs no backend; pass `false` to leave one out. */
export interface ApiToolkitOptions {
  rateLimit?: RateLimitPluginOptions | false;
  idempotency?: IdempotencyOptions | false;
  caching?: HttpCachingOptions | false;
  compression?: CompressionOptions | false;
  responseCache?: ResponseCacheOptions | false;
  batch?: BatchPluginOptions | false;
}

/**
 * The whole toolkit in the one order that works. Fastify runs hooks of a context in registration
 * order, and the parts depend on each other's position:
 *  - rate limit (onRequest) after auth, so it counts per API key; before any body is read;
 *  - idempotency's onSend sees the plain body (before compression) so a replay is re-negotiated;
 *  - ETags hash the plain body, then compression suffixes them per coding (`"tag-br"`);
 *  - the response cache stores after compression, so a hit skips serialization *and* compression.
 */
async function apiToolkit(app: FastifyInstance, options: ApiToolkitOptions): Promise<void> {
  if (options.rateLimit !== undefined && options.rateLimit !== false) await app.register(rateLimitPlugin, options.rateLimit);
  if (options.idempotency !== undefined && options.idempotency !== false) await app.register(idempotencyPlugin, options.idempotency);
  if (options.caching !== false) await app.register(httpCachingPlugin, options.caching ?? {});
  if (options.compression !== false) await app.register(compressionPlugin, options.compression ?? {});
  if (options.responseCache !== undefined && options.responseCache !== false) await app.register(responseCachePlugin, options.responseCache);
  if (options.batch !== undefined && options.batch !== false) await app.register(batchPlugin, options.batch);
}

export const apiToolkitPlugin = fp(apiToolkit, { fastify: '5.x', name: 'ai-stack-api-toolkit' });

/**
 * The toolkit with its options bound, as a plugin that can sit first in a list of route plugins
 * (`for (const p of plugins) await api.register(p)`). It stays in the registering context
 * (fastify-plugin), so the routes registered after it get the hooks; wrapping `apiToolkitPlugin`
 * in a plain `async (api) => …` instead would confine it to an empty child context.
 */
export function withApiToolkit(options: ApiToolkitOptions): FastifyPluginAsync {
  return fp(
    async (app: FastifyInstance) => {
      await app.register(apiToolkitPlugin, options);
    },
    { fastify: '5.x', name: 'ai-stack-api-toolkit-bound' },
  );
}
