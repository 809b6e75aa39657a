import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { addOnRequestHook, routeConfig } from '../route-hooks.ts';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { ConfigError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { clientKey } from '../client-key.ts';
import { RateLimitedError } from '../errors.ts';
import { rateLimitHeader, rateLimitPolicyHeader, retryAfterSeconds } from './headers.ts';
import { createRateLimiter, type RateLimiter, type RateLimitResult, type StoreFailureMode } from './limiter.ts';
import type { RateLimitPolicy, RateLimitStore } from './types.ts';

export interface RateLimitPluginOptions {
  /** Named policies; `default` (or `defaultPolicy`) applies to every route without its own. */
  policies: Record<string, RateLimitPolicy>;
  defaultPolicy?: string;
  /** Per-key policy: e.g. a bigger quota for some API keys. Return undefined to keep the default. */
  policyFor?: (request: FastifyRequest) => string | undefined;
  /** Who is counted. Default: API key id when authenticated, else client IP (IPv6 grouped by /56). */
  keyFor?: (request: FastifyRequest) => string;
  store?: RateLimitStore;
  onStoreError?: StoreFailureMode;
  logger?: Logger;
  registry?: Registry;
}

/**
 * Register it after the auth hook in the same context: hooks run in registration order, so the
 * caller's API key is known and limits follow the key rather than the address it connects from.
 */
async function rateLimit(app: FastifyInstance, options: RateLimitPluginOptions): Promise<void> {
  const defaultPolicy = options.defaultPolicy ?? 'default';
  const keyFor = options.keyFor ?? clientKey;
  const limiters = new Map<string, { limiter: RateLimiter; policyHeader: string }>();
  for (const [name, policy] of Object.entries(options.policies)) {
    const limiter = createRateLimiter({
      ...policy,
      name,
      ...(options.store === undefined ? {} : { store: options.store }),
      ...(options.onStoreError === undefined ? {} : { onStoreError: options.onStoreError }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.registry === undefined ? {} : { registry: options.registry }),
    });
    limiters.set(name, { limiter, policyHeader: rateLimitPolicyHeader(name, policy) });
  }
  if (!limiters.has(defaultPolicy)) throw new ConfigError(`Rate-limit default policy "${defaultPolicy}" is not among the declared policies`);

  app.addHook('onRoute', (route) => {
    const config = routeConfig(route).rateLimit;
    if (config === false) return;
    const routePolicy = config?.policy;
    if (routePolicy !== undefined && !limiters.has(routePolicy)) {
      throw new ConfigError(`Route ${route.url} uses undeclared rate-limit policy "${routePolicy}"`);
    }
    const cost = config?.cost ?? 1;
    // Callback style so an in-process check stays fully synchronous (no promise per request).
    addOnRequestHook(route, (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      const name = routePolicy ?? options.policyFor?.(request) ?? defaultPolicy;
      const entry = limiters.get(name);
      if (entry === undefined) {
        done(new ConfigError(`policyFor returned undeclared rate-limit policy "${name}"`));
        return;
      }
      const apply = (decision: RateLimitResult): void => {
        reply.header('ratelimit-policy', entry.policyHeader);
        reply.header('ratelimit', rateLimitHeader(name, decision));
        if (decision.allowed) return done();
        reply.header('retry-after', String(retryAfterSeconds(decision)));
        done(new RateLimitedError(name, decision.retryAfterMs));
      };
      let decision: RateLimitResult | Promise<RateLimitResult>;
      try {
        decision = entry.limiter.check(keyFor(request), cost);
      } catch (error) {
        done(error as Error);
        return;
      }
      if (decision instanceof Promise) decision.then(apply, (error: unknown) => done(error as Error));
      else apply(decision);
    });
  });
}

/** Per-route and per-key rate limits with IETF RateLimit/RateLimit-Policy headers and 429 problem+json. */
export const rateLimitPlugin = fp(rateLimit, { fastify: '5.x', name: 'ai-stack-rate-limit' });
