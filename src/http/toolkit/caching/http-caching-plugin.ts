import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { addOnSendHook, addPreHandlerHook, routeConfig, routeMethods } from '../route-hooks.ts';
import { formatCacheControl, type CacheControl } from './cache-control.ts';
import { etagForBody, etagForVersion, ifNoneMatchMatches } from './etag.ts';

export interface HttpCachingOptions {
  /** Cache-Control for successful GET/HEAD responses of routes that set none (e.g. `private, no-cache` so clients revalidate). */
  defaultCacheControl?: CacheControl;
  /** Bodies larger than this are not hashed (cost grows with size); the route can still declare `config.etag`. Default 1 MiB. */
  maxHashBytes?: number;
}

async function httpCaching(app: FastifyInstance, options: HttpCachingOptions): Promise<void> {
  const maxHashBytes = options.maxHashBytes ?? 1024 * 1024;
  const fallbackCacheControl = options.defaultCacheControl === undefined ? undefined : formatCacheControl(options.defaultCacheControl);

  app.addHook('onRoute', (route) => {
    if (!routeMethods(route).some((method) => method === 'GET' || method === 'HEAD')) return;
    const config = routeConfig(route);
    const cacheControl = config.cacheControl === undefined ? fallbackCacheControl : formatCacheControl(config.cacheControl);
    const policy: ValidationPolicy = { cacheControl, hashBodies: config.etag !== false, maxHashBytes };
    const lookup = config.etag;

    if (typeof lookup === 'function') {
      // Fast path: the route knows its resource version, so an unchanged resource is answered with 304
      // before the handler loads, serializes or hashes anything.
      addPreHandlerHook(route, async (request: FastifyRequest, reply: FastifyReply) => {
        const version = await lookup(request);
        if (version === null) return;
        const etag = etagForVersion(version);
        reply.header('etag', etag);
        if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) {
          if (cacheControl !== undefined && !reply.hasHeader('cache-control')) reply.header('cache-control', cacheControl);
          return reply.code(304).send();
        }
      });
    }

    // Callback style: runs on every GET, and a sync hook skips a promise and a microtask.
    addOnSendHook(route, (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
      done(null, validate(request, reply, payload, policy));
    });
  });
}

interface ValidationPolicy {
  cacheControl: string | undefined;
  hashBodies: boolean;
  maxHashBytes: number;
}

/** Cache-Control, ETag (hash of the plain body unless the route set one) and the 304 decision, for a 200 GET. */
function validate(request: FastifyRequest, reply: FastifyReply, payload: unknown, policy: ValidationPolicy): unknown {
  if (reply.statusCode !== 200) return payload;
  if (policy.cacheControl !== undefined && !reply.hasHeader('cache-control')) reply.header('cache-control', policy.cacheControl);
  if (!policy.hashBodies) return payload;
  let etag = reply.getHeader('etag');
  if (etag === undefined) {
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload; // streams: no cheap validator
    if (payload.length > policy.maxHashBytes) return payload;
    etag = etagForBody(payload);
    reply.header('etag', etag);
  }
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined && typeof etag === 'string' && ifNoneMatchMatches(ifNoneMatch, etag)) {
    reply.code(304);
    reply.removeHeader('content-length');
    return null;
  }
  return payload;
}

/** Strong ETags, 304 on If-None-Match (with a pre-handler fast path) and per-route Cache-Control. */
export const httpCachingPlugin = fp(httpCaching, { fastify: '5.x', name: 'ai-stack-http-caching' });
