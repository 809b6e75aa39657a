import { hash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import type { Logger } from '../../../shared/logger.ts';
import { apiKeyId } from '../client-key.ts';
import { negotiatedCoding } from '../compression/plugin.ts';
import { sharedCounter } from '../metrics.ts';
import { addOnSendHook, addPreHandlerHook, routeConfig, routeMethods } from '../route-hooks.ts';
import { appendVary } from '../vary.ts';
import { decodeEntry, encodeEntry, REPLAYED_HEADERS } from './entry.ts';
import type { ResponseCacheStore } from './store.ts';

export interface ResponseCacheOptions {
  store: ResponseCacheStore;
  /**
   * Who may share an entry. Default: the API key id, so one key never sees a response built for another;
   * return a constant for truly public data.
   */
  scope?: (request: FastifyRequest) => string;
  /** Responses larger than this are not stored. Default 1 MiB. */
  maxEntryBytes?: number;
  logger?: Logger;
  /** Adds `ai_stack_http_response_cache_total{outcome="hit"|"miss"|"error"}`. */
  registry?: Registry;
}

/** Purges every cached response carrying one of the tags; write paths call it (or declare `config.invalidates`). */
export async function invalidateTags(store: ResponseCacheStore, tags: Iterable<string>): Promise<void> {
  await Promise.all([...new Set(tags)].map((tag) => store.deleteByTag(tag)));
}

const CACHE_KEY = Symbol('ai-stack.responseCacheKey');
type WithKey = FastifyRequest & { [CACHE_KEY]?: { key: string; epoch: number } };

async function responseCache(app: FastifyInstance, options: ResponseCacheOptions): Promise<void> {
  const { store } = options;
  const scopeOf = options.scope ?? ((request: FastifyRequest) => `key:${apiKeyId(request) ?? 'anonymous'}`);
  const maxEntryBytes = options.maxEntryBytes ?? 1024 * 1024;
  const pendingWrites = new Set<Promise<void>>();
  // Bumped by every invalidation on this node; a miss remembers it so a response that was computed
  // across an invalidation is not stored afterwards.
  let epoch = 0;
  const outcomes =
    options.registry === undefined
      ? undefined
      : sharedCounter(options.registry, 'ai_stack_http_response_cache_total', 'Response cache lookups by outcome', ['outcome']);

  const lookup = async (request: WithKey, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const config = request.routeOptions.config.responseCache;
    if (config === undefined) return;
    // A purge of one of its tags failed and is still owed: the entry may predate a committed write.
    if (store.isStale?.(config.tags?.(request) ?? []) === true) {
      reply.header('x-cache', 'BYPASS');
      return;
    }
    const key = cacheKey(request, scopeOf(request), config.vary ?? []);
    let stored: Buffer | undefined;
    try {
      stored = await store.get(key);
    } catch (error) {
      outcomes?.inc({ outcome: 'error' });
      options.logger?.warn({ err: error }, 'response cache read failed; serving from the handler');
    }
    const entry = stored === undefined ? null : decodeEntry(stored);
    outcomes?.inc({ outcome: entry === null ? 'miss' : 'hit' });
    if (entry === null) {
      request[CACHE_KEY] = { key, epoch };
      reply.header('x-cache', 'MISS');
      return;
    }
    reply.headers(entry.headers).header('x-cache', 'HIT');
    return reply.code(entry.status).send(entry.body);
  };

  // Runs after compression (registration order), so what is stored is the encoded representation and a
  // hit costs neither serialization nor compression.
  const save = async (request: WithKey, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const miss = request[CACHE_KEY];
    const config = request.routeOptions.config.responseCache;
    if (miss === undefined || config === undefined) return payload;
    const key = miss.key;
    for (const name of config.vary ?? []) appendVary(reply, name);
    if (reply.statusCode !== 200 || reply.hasHeader('set-cookie')) return payload;
    // A write on this node purged tags while this response was being built from older data: don't store it.
    if (miss.epoch !== epoch) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (body.length > maxEntryBytes) return payload;
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    const tags = config.tags?.(request) ?? [];
    // Not awaited: the client should not wait for a cache write; a failed write only costs a future miss.
    // Tracked, so an invalidation on this node waits for writes still in flight instead of missing them.
    const write: Promise<void> = store
      .set(key, encodeEntry({ status: 200, headers, body }), { ttlMs: config.ttlMs, tags })
      .catch((error: unknown) => {
        options.logger?.warn({ err: error }, 'response cache write failed');
      })
      .finally(() => pendingWrites.delete(write));
    pendingWrites.add(write);
    return body;
  };

  app.addHook('onClose', async () => store.close?.());
  app.addHook('onRoute', (route) => {
    const config = routeConfig(route);
    if (config.responseCache !== undefined && routeMethods(route).some((method) => method === 'GET' || method === 'HEAD')) {
      addPreHandlerHook(route, lookup);
      addOnSendHook(route, save);
    }
    const invalidates = config.invalidates;
    if (invalidates !== undefined) {
      // Writes purge before the reply leaves, so a client that reads right after its own write sees it.
      addOnSendHook(route, async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
        if (reply.statusCode >= 400) return payload;
        epoch++;
        if (pendingWrites.size > 0) await Promise.all(pendingWrites);
        const tags = invalidates(request);
        try {
          await invalidateTags(store, tags);
        } catch (error) {
          // The write has committed: its answer is the commit's. A failed purge is the store's to retry
          // (and its tags count as stale meanwhile), never a 503 that invites a retry creating a duplicate.
          options.logger?.warn({ tags, reason: (error as Error).message }, 'response-cache purge failed after a committed write');
        }
        return payload;
      });
    }
  });
}

function cacheKey(request: FastifyRequest, scope: string, vary: readonly string[]): string {
  const varied = vary.map((name) => `${name.toLowerCase()}=${String(request.headers[name.toLowerCase()] ?? '')}`).join('&');
  const parts = [request.routeOptions.url ?? '', request.url, scope, negotiatedCoding(request), varied].join('\n');
  // HEAD shares GET's entry: same representation, Fastify drops the body.
  return `rc:GET:${hash('sha256', parts, 'base64url')}`;
}

/** Shared server-side response cache for GET routes that opt in with `config.responseCache`, invalidated by tags. */
export const responseCachePlugin = fp(responseCache, { fastify: '5.x', name: 'ai-stack-response-cache' });
