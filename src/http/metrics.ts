import fp from 'fastify-plugin';
import { Gauge, Histogram, type Registry } from 'prom-client';

/** Request latency by route template (never the raw URL, which would explode label cardinality). */
export const httpMetrics = fp<{ registry: Registry }>(async (app, { registry }) => {
  const duration = new Histogram({
    name: 'ai_stack_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // Requests whose head has been read and whose response has not finished (or whose socket closed): what a
  // graceful shutdown waits for, and what a test can wait on instead of sleeping.
  const inFlight = new Gauge({ name: 'ai_stack_http_requests_in_flight', help: 'HTTP requests being processed', registers: [registry] });
  app.addHook('onRequest', async (_request, reply) => {
    inFlight.inc();
    reply.raw.once('close', () => inFlight.dec());
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
});
