import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatCacheControl, ifNoneMatchMatches, type CacheControl } from '../http/toolkit/index.ts';

/**
 * 304 before the handler loads the row: one primary-key lookup of `version`.
 *
 * Why not the toolkit's `config.etag`: its fast path emits `"v<version>"`, while our items' ETag is
 * `"<id>.<version>"` (If-Match parses it), so a client's If-None-Match would never match there. Only
 * requests that carry If-None-Match pay the lookup; the rest go straight to the handler.
 */
export function notModifiedFastPath(repo: { version(id: number): Promise<number | undefined> }, cacheControl: CacheControl) {
  const cacheControlHeader = formatCacheControl(cacheControl);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const ifNoneMatch = request.headers['if-none-match'];
    if (ifNoneMatch === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) return undefined;
    const { id } = request.params as { id: number };
    const version = await repo.version(id);
    if (version === undefined) return undefined; // the handler answers 404
    const etag = `"${id}.${version}"`;
    if (!ifNoneMatchMatches(ifNoneMatch, etag)) return undefined;
    return reply.code(304).header('etag', etag).header('cache-control', cacheControlHeader).send();
  };
}
