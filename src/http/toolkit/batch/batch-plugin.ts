import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { OutgoingHttpHeaders } from 'node:http';
import { FailedDependencyError } from '../errors.ts';
import { itemProblem } from '../problem.ts';
import { latestRateLimit } from '../ratelimit/headers.ts';
import { parseBatch, type BatchSubRequest } from './batch-request.ts';

export interface BatchPluginOptions {
  /** Where the batch endpoint lives, relative to the context prefix. Default `/$batch`. */
  path?: string;
  /** Prepended to every sub-request url. Default: the prefix of the context the plugin is registered in (e.g. `/api/v1`). */
  basePath?: string;
  /** Default 20, Microsoft Graph's limit. */
  maxRequests?: number;
  /** Outer-request headers copied onto every sub-request (auth is re-checked per sub-request). Default authorization, accept-language. */
  forwardHeaders?: readonly string[];
}

export interface BatchResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

const DROPPED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'content-length']);

async function batch(app: FastifyInstance, options: BatchPluginOptions): Promise<void> {
  const maxRequests = options.maxRequests ?? 20;
  const basePath = (options.basePath ?? app.prefix).replace(/\/$/, '');
  const forward = options.forwardHeaders ?? ['authorization', 'accept-language'];

  // Scope `read`: the batch itself changes nothing; each sub-request is authorised against its own method and route.
  app.post(options.path ?? '/$batch', { config: { idempotency: false, scope: 'read' } }, async (request, reply) => {
    const requests = parseBatch(request.body, maxRequests);
    const outcomes = new Map<string, Promise<BatchResponse>>();
    const byId = new Map(requests.map((sub) => [sub.id.toLowerCase(), sub]));
    // Each sub-request starts as soon as its dependencies finish, so independent ones run concurrently.
    const run = (sub: BatchSubRequest): Promise<BatchResponse> => {
      const key = sub.id.toLowerCase();
      let outcome = outcomes.get(key);
      if (outcome === undefined) {
        outcome = (async () => {
          const dependencies = await Promise.all(sub.dependsOn.map((id) => run(byId.get(id.toLowerCase()) as BatchSubRequest)));
          const failed = dependencies.find((dependency) => dependency.status >= 400);
          if (failed !== undefined) return failedDependency(sub, failed.id);
          return dispatch(app, request, sub, basePath, forward);
        })();
        outcomes.set(key, outcome);
      }
      return outcome;
    };
    const responses = await Promise.all(requests.map(run));
    // The sub-requests drew on the caller's quota after the batch's own check set this header.
    const outerLimit = reply.getHeader('ratelimit');
    if (typeof outerLimit === 'string')
      reply.header(
        'ratelimit',
        latestRateLimit(
          outerLimit,
          responses.map((response) => response.headers['ratelimit']),
        ),
      );
    return reply.code(200).send({ responses });
  });
}

async function dispatch(
  app: FastifyInstance,
  outer: FastifyRequest,
  sub: BatchSubRequest,
  basePath: string,
  forward: readonly string[],
): Promise<BatchResponse> {
  const headers: Record<string, string> = { ...sub.headers, 'accept-encoding': 'identity' };
  for (const name of forward) {
    const value = outer.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  try {
    const response = await app.inject({
      method: sub.method,
      url: basePath + sub.url,
      headers,
      remoteAddress: outer.ip,
      ...(sub.body === undefined ? {} : { payload: JSON.stringify(sub.body) }),
    });
    return {
      id: sub.id,
      status: response.statusCode,
      headers: responseHeaders(response.headers),
      body: responseBody(response.headers['content-type'], response.body),
    };
  } catch (error) {
    const problem = itemProblem(error);
    return { id: sub.id, status: problem.status, headers: { 'content-type': 'application/problem+json' }, body: problem };
  }
}

function failedDependency(sub: BatchSubRequest, failedId: string): BatchResponse {
  const problem = itemProblem(new FailedDependencyError(`Not run: request "${failedId}" it depends on failed`));
  return { id: sub.id, status: 424, headers: { 'content-type': 'application/problem+json' }, body: problem };
}

function responseHeaders(headers: OutgoingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name)) continue;
    result[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return result;
}

function responseBody(contentType: string | number | string[] | undefined, body: string): unknown {
  if (body === '') return undefined;
  if (typeof contentType === 'string' && /[/+]json\b/i.test(contentType)) {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return body;
    }
  }
  return body;
}

/** `POST /$batch` (Microsoft Graph JSON batching): up to 20 sub-requests, dependsOn ordering, auth per sub-request. */
export const batchPlugin = fp(batch, { fastify: '5.x', name: 'ai-stack-batch' });
