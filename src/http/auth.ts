import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { allows, stricterScope, type ApiKeyService, type AuthContext, type Scope } from '../auth/index.ts';
import { ForbiddenError, UnauthorizedError } from '../shared/errors.ts';
import { sendProblem } from './problem.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook for every authenticated request; null outside authenticated contexts. */
    auth: AuthContext | null;
  }
  interface FastifyContextConfig {
    /** Scope this route needs; by default reads need `read` and writes need `write` (the context may raise it). */
    scope?: Scope;
  }
}

export interface AuthOptions {
  keys: ApiKeyService;
  /** Minimum scope for every route in the context, e.g. `admin` for /admin. */
  minimumScope?: Scope;
}

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,256})\s*$/i;

/** Registers the request decorator once at the root; every context that needs auth then registers `requireApiKey`. */
export const authDecorator = fp(async (app: FastifyInstance) => {
  app.decorateRequest('auth', null);
});

/**
 * Encapsulated hook: every route registered in the same context needs a valid key with enough scope.
 * Runs in onRequest, before the body is parsed, so unauthenticated clients cannot make us read their uploads.
 */
export async function requireApiKey(app: FastifyInstance, options: AuthOptions): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    const presented = bearerToken(request);
    const context = presented === null ? null : await options.keys.verify(presented);
    // Answered here rather than thrown: plugins mounted in this context (Bull Board) install their own
    // error handlers, and an auth failure must stay a 401/403 problem+json whatever they do.
    if (context === null) {
      void reply.header('WWW-Authenticate', 'Bearer realm="ai-stack"');
      return sendProblem(reply, request, new UnauthorizedError(presented === null ? undefined : 'The API key is unknown, revoked or expired'));
    }
    const needed = requiredScope(request, options.minimumScope);
    if (!allows(context.scopes, needed)) {
      return sendProblem(reply, request, new ForbiddenError(`This operation needs the "${needed}" scope; the key has ${context.scopes.join(', ') || 'none'}`));
    }
    request.auth = context;
    return undefined;
  });
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  return BEARER.exec(header)?.[1] ?? null;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function requiredScope(request: FastifyRequest, minimum: Scope | undefined): Scope {
  const byMethod: Scope = READ_METHODS.has(request.method) ? 'read' : 'write';
  return stricterScope(request.routeOptions.config.scope ?? byMethod, minimum ?? 'read');
}
