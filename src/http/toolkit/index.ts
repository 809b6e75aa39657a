/**
 * The API performance toolkit: Fastify 5 plugins (compression, HTTP caching, response cache, rate
 * limit, idempotency, $batch) and helpers (pagination, bulk). Routes opt in or out through `config`
 * (see route-config.ts). Register them inside the /api/v1 context, after the auth hook.
 */
import './route-config.ts';

export type { ResponseCacheRouteConfig, RateLimitRouteConfig } from './route-config.ts';
export { apiToolkitPlugin, withApiToolkit, type ApiToolkitOptions } from './toolkit-plugin.ts';
export { RateLimitedError, NotAcceptableError, UnprocessableError, FailedDependencyError } from './errors.ts';
export { itemProblem, type ItemProblem } from './problem.ts';
export { clientKey, groupAddress, apiKeyId } from './client-key.ts';
export * from './compression/index.ts';
export * from './caching/index.ts';
export * from './ratelimit/index.ts';
export * from './pagination/index.ts';
export * from './batch/index.ts';
