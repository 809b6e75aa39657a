import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { formatCacheControl, type CacheControl } from './cache-control.ts';
import { etagForBody, etagForVersion, ifNoneMatchMatches } from './etag.ts';

export interface HttpCachingOptions {
  /** Cache-Control for successful GET/HEAD responses of routes that set none (e.g. `private, no-cache` so clients revalidate). */
  defaultCacheControl?: CacheControl;
  /** Bodies larger than this are not hashed (cost grows with size); the route can still declare `config.etag`. Default 1 MiB. */
  maxHashBytes?: number;
}

const READS = new Set(['GET', 'HEAD']);

async function httpCaching(app: FastifyInstance, options: HttpCachingOptions): Promise<void> {
  const maxHashBytes = options.maxHashBytes ?? 1024 * 1024;
  const defaultCacheControl = options.defaultCacheControl === undefined ? undefined : formatCacheControl(options.defaultCacheControl);

  // Fast path: the route knows its resource version, so an unchanged resource is answered with 304
  // before the handler loads, serializes or hashes anything.
  app.addHook('preHandler', async (request: FastifyRequest, reply) => {
    const lookup = request.routeOptions.config.etag;
    if (typeof lookup !== 'function' || !READS.has(request.method)) return;
    const version = await lookup(request);
    if (version === null) return;
    const etag = etagForVersion(version);
    reply.header('etag', etag);
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      applyCacheControl(request, reply.header.bind(reply), reply.hasHeader('cache-control'), defaultCacheControl);
      return reply.code(304).send();
    }
  });

  app.addHook('onSend', async (request, reply, payload: unknown) => {
    if (!READS.has(request.method) || reply.statusCode !== 200) return payload;
    applyCacheControl(request, reply.header.bind(reply), reply.hasHeader('cache-control'), defaultCacheControl);
    if (request.routeOptions.config.etag === false) return payload;
    let etag = reply.getHeader('etag');
    if (etag === undefined) {
      if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload; // streams: no cheap validator
      if (payload.length > maxHashBytes) return payload;
      etag = etagForBody(payload);
      reply.header('etag', etag);
    }
    if (typeof etag === 'string' && ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
      reply.code(304);
      reply.removeHeader('content-length');
      return null;
    }
    return payload;
  });
}

function applyCacheControl(
  request: FastifyRequest,
  setHeader: (name: string, value: string) => unknown,
  alreadySet: boolean,
  fallback: string | undefined,
): void {
  if (alreadySet) return;
  const routeValue = request.routeOptions.config.cacheControl;
  const value = routeValue === undefined ? fallback : formatCacheControl(routeValue);
  if (value !== undefined && value !== '') setHeader('cache-control', value);
}

/** Strong ETags, 304 on If-None-Match (with a pre-handler fast path) and per-route Cache-Control. */
export const httpCachingPlugin = fp(httpCaching, { fastify: '5.x', name: 'ai-stack-http-caching' });
