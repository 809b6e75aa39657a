import { httpTracing } from './tracing.ts';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Registry } from 'prom-client';
import type { ApiKeyService } from '../auth/index.ts';
import { NotFoundError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { authDecorator, requireApiKey, type SessionVerifier } from './auth.ts';
import { completeOpenApiOperation } from './openapi.ts';
import { healthRoutes, readinessDetailRoutes, type ReadinessCheck } from './health.ts';
import { clientErrorHandler } from './client-error.ts';
import { problemForForeignErrors } from './foreign-errors.ts';
import { guardJsonInput } from './json-body.ts';
import { httpMetrics } from './metrics.ts';
import { sendProblem, toAiStackError, type ErrorTranslator } from './problem.ts';
import { requestIdFrom } from './request-id.ts';
import { createValidatorCompiler } from './validation.ts';

export type App = FastifyInstance;
/** A feature's routes; registered inside an authenticated, encapsulated context. */
export type RoutePlugin = FastifyPluginAsync;

export interface ServerOptions {
  logger: Logger;
  registry: Registry;
  keys: ApiKeyService;
  /** Web-console sessions, accepted by /api/v1 and /admin as well as API keys. */
  sessions?: SessionVerifier;
  /** Trust X-Forwarded-* from a reverse proxy (client address, https for Secure cookies). Off by default. */
  trustProxy?: boolean;
  bodyLimitBytes: number;
  /** Deepest JSON nesting a body may have (default 64): deeper is a 400, before any recursive code sees it. */
  maxJsonDepth?: number;
  readiness: ReadinessCheck[];
  /** Maps driver errors (unique violations, …) to typed errors before they become problem+json. */
  translateError?: ErrorTranslator;
  /** Registered under /api/v1 behind API-key auth (reads need `read`, writes need `write`). */
  api: RoutePlugin[];
  /** Registered under /admin behind `admin` scope. */
  admin: RoutePlugin[];
  /** Runs before any route, at the root: e.g. compression and rate limits that wrap every response. */
  root?: RoutePlugin[];
  version?: string;
}

/** Builds the Fastify app: one error mapper, request ids, metrics, OpenAPI, health, and the authenticated contexts. */
export async function buildServer(options: ServerOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes,
    genReqId: requestIdFrom,
    return503OnClosing: true,
    trustProxy: options.trustProxy ?? false,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false } },
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
    clientErrorHandler: clientErrorHandler(options.logger),
    // Errors Fastify raises before routing (an undecodable URL, an over-long path parameter) answer with its own JSON otherwise.
    frameworkErrors: (error, request, reply) => {
      void sendProblem(reply, request, toAiStackError(error));
    },
  }) as unknown as FastifyInstance;

  app.setValidatorCompiler(createValidatorCompiler());
  guardJsonInput(app, options.maxJsonDepth);
  // Only JSON is accepted; Fastify's built-in text/plain parser made such bodies fail validation (400) instead of 415.
  app.removeContentTypeParser('text/plain');
  problemForForeignErrors(app);
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.setErrorHandler((error, request, reply) => {
    const mapped = toAiStackError(error, options.translateError, request);
    // A dependency being down is not a bug: no stack, and readiness probes (logged by the check) not at all.
    if (mapped.code === 'not_ready') request.log.debug({ code: mapped.code }, mapped.message);
    else if (mapped.status === 503) request.log.warn({ code: mapped.code, reason: mapped.message }, 'request failed: dependency unavailable');
    else if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: mapped.code, status: mapped.status }, mapped.message);
    return sendProblem(reply, request, mapped);
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, new NotFoundError(`Route ${request.method} ${request.url.split('?')[0] ?? ''}`)));

  await app.register(authDecorator);
  await app.register(cookie);
  await app.register(httpTracing);
  await app.register(httpMetrics, { registry: options.registry });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'AI Stack API',
        version: options.version ?? '0.0.0',
        description: 'Knowledge base, ERP and task-system API. Send `Authorization: Bearer <key>`.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: completeOpenApiOperation as never,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(healthRoutes, { checks: options.readiness, registry: options.registry });

  for (const plugin of options.root ?? []) await app.register(plugin);
  await app.register(
    async (api) => {
      await requireApiKey(api, { keys: options.keys, ...(options.sessions ? { sessions: options.sessions } : {}) });
      for (const plugin of options.api) await api.register(plugin);
    },
    { prefix: '/api/v1' },
  );
  await app.register(
    async (admin) => {
      await requireApiKey(admin, { keys: options.keys, minimumScope: 'admin', ...(options.sessions ? { sessions: options.sessions } : {}) });
      await admin.register(readinessDetailRoutes(options.readiness));
      for (const plugin of options.admin) await admin.register(plugin);
    },
    { prefix: '/admin' },
  );
  return app;
}
