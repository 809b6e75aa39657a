import type { FastifyRequest } from 'fastify';
import type { CacheControl } from './caching/cache-control.ts';

/** Per-route switches read by the toolkit plugins (`config: { … }` on a route). */
export interface ResponseCacheRouteConfig {
  ttlMs: number;
  /** Tags the stored entry carries; a write route invalidates them. */
  tags?: (request: FastifyRequest) => string[];
  /** Request headers (besides Accept-Encoding, which is always handled) that change the response. */
  vary?: string[];
}

export interface RateLimitRouteConfig {
  /** Name of a policy declared in the plugin options; the route gets its own bucket per caller. */
  policy: string;
  /** Weight of one request (default 1). */
  cost?: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` turns response compression off for this route. */
    compress?: boolean;
    /** Version lookup for the 304 fast path: resolves the resource's current version, or null when unknown (handler decides). */
    etag?: ((request: FastifyRequest) => Promise<string | null>) | false;
    /** `Cache-Control` for successful responses of this route. */
    cacheControl?: CacheControl;
    /** Opt-in to the shared server-side response cache. */
    responseCache?: ResponseCacheRouteConfig;
    /** Tags a successful write invalidates (the response cache is purged before the reply is sent). */
    invalidates?: (request: FastifyRequest) => string[];
    /** `false` exempts the route; an object selects a policy. */
    rateLimit?: RateLimitRouteConfig | false;
    /** `false` turns Idempotency-Key handling off for this POST route; `true` makes the header mandatory. */
    idempotency?: boolean | 'required';
  }
}
