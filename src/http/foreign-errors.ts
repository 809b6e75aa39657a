import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AiStackError } from '../shared/errors.ts';
import { PROBLEM_CONTENT_TYPE, problemFor } from './problem.ts';

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'body_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'gateway_timeout',
};
// Problem members we own; a foreign body's fields of the same name are not copied over them.
const RESERVED = new Set(['type', 'title', 'status', 'detail', 'instance', 'code', 'request_id', 'errors']);

/**
 * Safety net for error responses built by code that does not use our error handler: plugins with their
 * own error handlers or error bodies (Bull Board answers `{"error": {"key": …}}` as application/json).
 * Such a body becomes problem+json; its own fields stay as extension members, so its UI keeps working.
 * Registered at the root, so it runs before route-level onSend hooks (compression sees the final body).
 */
export function problemForForeignErrors(app: FastifyInstance): void {
  // Callback style: every response passes here, and a successful one must not pay for a promise.
  app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
    const type = reply.getHeader('content-type');
    const isProblem = typeof type === 'string' && type.startsWith('application/problem+json');
    if (reply.statusCode < 400 || typeof payload !== 'string' || payload === '' || isProblem) return done(null, payload);
    done(null, asProblem(request, reply, payload));
  });
}

function asProblem(request: FastifyRequest, reply: FastifyReply, payload: string): string {
  const foreign = parseObject(payload);
  const status = reply.statusCode;
  const detail = status >= 500 ? 'An unexpected error occurred; it has been logged with the request id' : foreignDetail(foreign, payload);
  if (status >= 500) request.log.error({ status, body: payload.slice(0, 2000) }, 'a plugin answered an error of its own');
  const problem: Record<string, unknown> = { ...problemFor(new AiStackError(detail, { status, code: CODES[status] ?? `http_${status}` }), request) };
  // A 5xx body may carry internals (messages, stacks): only a translation key is kept.
  for (const [name, value] of Object.entries(foreign ?? {})) {
    if (!RESERVED.has(name) && (status < 500 || name === 'error')) problem[name] = value;
  }
  void reply.type(PROBLEM_CONTENT_TYPE);
  return JSON.stringify(problem);
}

function parseObject(payload: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(payload);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function foreignDetail(foreign: Record<string, unknown> | null, payload: string): string {
  if (foreign === null) return payload.slice(0, 500);
  const error = foreign['error'];
  const key = typeof error === 'object' && error !== null ? (error as Record<string, unknown>)['key'] : error;
  for (const candidate of [foreign['message'], foreign['detail'], key]) {
    if (typeof candidate === 'string' && candidate !== '') return candidate.slice(0, 500);
  }
  return 'The request failed';
}
