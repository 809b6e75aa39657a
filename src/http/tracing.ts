import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { SpanKind, traceApi, traceContext, tracingEnabled, contextFrom } from '../telemetry/index.ts';
import { SpanStatusCode, type Span } from '@opentelemetry/api';

const spans = new WeakMap<FastifyRequest, Span>();

/**
 * A server span per request, continuing the caller's W3C `traceparent`. The rest of the request (hooks,
 * handler, the tasks it enqueues, its statements) runs inside that span's context: Fastify calls the next
 * hook from `done`, so entering the context around `done` carries it through AsyncLocalStorage.
 */
export const httpTracing = fp(async (app) => {
  if (!tracingEnabled()) return;
  app.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const parent = contextFrom(request.headers);
    const span = traceApi.getTracer('ai-stack').startSpan(
      `${request.method} ${request.routeOptions.url ?? 'unmatched'}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0] ?? '', 'http.route': request.routeOptions.url ?? '' },
      },
      parent,
    );
    spans.set(request, span);
    traceContext.with(traceApi.setSpan(parent, span), done);
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = spans.get(request);
    if (span === undefined) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
});
