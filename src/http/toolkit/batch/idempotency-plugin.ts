import { hash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { addOnResponseHook, addOnSendHook, addPreHandlerHook, routeConfig, routeMethods } from '../route-hooks.ts';
import fp from 'fastify-plugin';
import { configure } from 'safe-stable-stringify';
import { ConflictError, UnavailableError, ValidationError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { clientKey } from '../client-key.ts';
import { UnprocessableError } from '../errors.ts';
import type { IdempotencyStore, StoredResponse } from './idempotency-store.ts';

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /** How long a completed key replays. Default 24 h. */
  ttlMs?: number;
  /** How long a claim survives a crashed request before the key is usable again. Default 60 s. */
  lockTtlMs?: number;
  /** Whose keys these are: the same key from two API keys never collides. Default API key id, else client IP. */
  scope?: (request: FastifyRequest) => string;
  logger?: Logger;
}

// Object keys sorted: the same JSON with its members in another order is the same request body.
const canonicalJson = configure({ deterministic: true });
const KEY_SYNTAX = /^[\x21-\x7e]{1,255}$/;
const REPLAYED = ['content-type', 'location', 'etag', 'content-language'];
const CLAIM = Symbol('ai-stack.idempotencyClaim');
type WithClaim = FastifyRequest & { [CLAIM]?: { key: string; token: string; fingerprint: string; settled: boolean } };

async function idempotency(app: FastifyInstance, options: IdempotencyOptions): Promise<void> {
  const { store } = options;
  const ttlMs = options.ttlMs ?? 86_400_000;
  const lockTtlMs = options.lockTtlMs ?? 60_000;
  const scopeOf = options.scope ?? clientKey;

  const claim = async (request: WithClaim, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const mode = request.routeOptions.config.idempotency;
    const header = request.headers['idempotency-key'];
    if (header === undefined) {
      if (mode === 'required') throw new ValidationError('This endpoint needs an Idempotency-Key header', [{ field: 'Idempotency-Key', message: 'required' }]);
      return;
    }
    if (typeof header !== 'string' || !KEY_SYNTAX.test(header)) {
      throw new ValidationError('Idempotency-Key must be 1-255 visible ASCII characters (a UUID is a good choice)', [
        { field: 'Idempotency-Key', message: 'invalid' },
      ]);
    }
    const key = hash('sha256', `${scopeOf(request)}\n${request.routeOptions.url ?? ''}\n${header}`, 'base64url');
    const fingerprint = hash('sha256', `${request.method} ${request.url}\n${canonicalJson(request.body ?? null)}`, 'base64url');
    const begun = await store.begin(key, fingerprint, lockTtlMs).catch((error: unknown) => {
      // Nothing has happened yet, so the client may safely retry: 503, not a 500 that looks like a failed action.
      throw new UnavailableError('Idempotency records are unavailable; the request was not processed, retry later', {
        code: 'idempotency_unavailable',
        cause: error,
      });
    });
    if (begun.claimed) {
      request[CLAIM] = { key, token: begun.token, fingerprint, settled: false };
      return;
    }
    const record = begun.record;
    if (record.fingerprint !== fingerprint) {
      throw new UnprocessableError('This Idempotency-Key was already used with a different request body', { code: 'idempotency_key_reused' });
    }
    if (record.state === 'pending') {
      reply.header('retry-after', '1');
      throw new ConflictError('A request with this Idempotency-Key is still being processed; retry shortly', { code: 'idempotency_in_progress' });
    }
    reply.code(record.response.status).headers(record.response.headers).header('idempotent-replayed', 'true');
    return reply.send(Buffer.from(record.response.body, 'base64'));
  };

  // Attached before compression, so the stored body is the plain one and each replay is negotiated afresh.
  const record = async (request: WithClaim, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const claim = request[CLAIM];
    if (claim === undefined || claim.settled) return payload;
    claim.settled = true;
    const storable = typeof payload === 'string' || Buffer.isBuffer(payload) || payload === null || payload === undefined;
    try {
      if (reply.statusCode >= 500 || !storable) {
        await store.release(claim.key, claim.token);
        return payload;
      }
      const headers: Record<string, string> = {};
      for (const name of REPLAYED) {
        const value = reply.getHeader(name);
        if (value !== undefined) headers[name] = String(value);
      }
      const body = payload === null || payload === undefined ? '' : Buffer.from(payload).toString('base64');
      const response: StoredResponse = { status: reply.statusCode, headers, body };
      await store.complete(claim.key, claim.token, claim.fingerprint, response, ttlMs);
    } catch (error) {
      // The action already happened; failing the response now would invite a retry that acts twice.
      options.logger?.error({ err: error }, 'could not record an idempotent response');
    }
    return payload;
  };

  // Safety net for requests that ended without onSend (client aborted mid-handler).
  const releaseUnsettled = async (request: WithClaim): Promise<void> => {
    const pending = request[CLAIM];
    if (pending !== undefined && !pending.settled) {
      pending.settled = true;
      await store.release(pending.key, pending.token).catch(() => undefined);
    }
  };

  app.addHook('onRoute', (route) => {
    if (!routeMethods(route).includes('POST') || routeConfig(route).idempotency === false) return;
    addPreHandlerHook(route, claim);
    addOnSendHook(route, record);
    addOnResponseHook(route, releaseUnsettled);
  });
}

/** `Idempotency-Key` for POST routes: the first request acts, replays return the stored response. */
export const idempotencyPlugin = fp(idempotency, { fastify: '5.x', name: 'ai-stack-idempotency' });
