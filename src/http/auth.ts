import { timingSafeEqual } from 'node:crypto';
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

/** Resolves a web-console session cookie; implemented by the users module. */
export interface SessionVerifier {
  cookieName: string;
  verify(token: string): Promise<{ context: AuthContext; csrfToken: string } | null>;
}

export interface AuthOptions {
  keys: ApiKeyService;
  /** When given, a valid session cookie (with CSRF protection on writes) is accepted as well as an API key. */
  sessions?: SessionVerifier;
  /** Minimum scope for every route in the context, e.g. `admin` for /admin. */
  minimumScope?: Scope;
}

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]{1,256})\s*$/i;
export const CSRF_HEADER = 'x-csrf-token';

/** Registers the request decorator once at the root; every context that needs auth then registers `requireApiKey`. */
export const authDecorator = fp(async (app: FastifyInstance) => {
  app.decorateRequest('auth', null);
});

/**
 * Encapsulated hook: every route registered in the same context needs a valid key (or a signed-in session) with
 * enough scope. Runs in onRequest, before the body is parsed, so unauthenticated clients cannot make us read their uploads.
 */
export async function requireApiKey(app: FastifyInstance, options: AuthOptions): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    const presented = bearerToken(request);
    let context: AuthContext | null;
    if (presented !== null) context = await options.keys.verify(presented);
    else {
      const session = options.sessions ? await sessionContext(request, options.sessions) : null;
      if (session instanceof ForbiddenError) return sendProblem(reply, request, session);
      context = session;
    }
    // Answered here rather than thrown: plugins mounted in this context (Bull Board) install their own
    // error handlers, and an auth failure must stay a 401/403 problem+json whatever they do.
    if (context === null) {
      void reply.header('WWW-Authenticate', 'Bearer realm="ai-stack"');
      return sendProblem(reply, request, new UnauthorizedError(presented === null ? undefined : 'The API key is unknown, revoked or expired'));
    }
    const needed = requiredScope(request, options.minimumScope);
    if (!allows(context.scopes, needed)) {
      const who = context.keyId === null ? 'your role allows' : 'the key has';
      return sendProblem(reply, request, new ForbiddenError(`This operation needs the "${needed}" scope; ${who} ${context.scopes.join(', ') || 'none'}`));
    }
    request.auth = context;
    return undefined;
  });
}

/**
 * The session cookie's identity, a ForbiddenError for a cross-site write, or null without a (valid) session.
 * Cookies ride along on requests other sites trigger, so a write must prove it comes from our own pages:
 * the CSRF token our pages read from /api/v1/auth/session, or a same-origin `Origin` (which browsers set on every
 * non-GET fetch and form post, and pages cannot forge). A foreign Origin or Sec-Fetch-Site is refused outright.
 */
export async function sessionContext(request: FastifyRequest, sessions: SessionVerifier): Promise<AuthContext | ForbiddenError | null> {
  const token = request.cookies[sessions.cookieName];
  if (token === undefined || token === '') return null;
  const session = await sessions.verify(token);
  if (session === null) return null;
  if (READ_METHODS.has(request.method)) return session.context;
  const refusal = csrfRefusal(request, session.csrfToken);
  return refusal === null ? session.context : new ForbiddenError(refusal);
}

/** Why a state-changing request must be refused as cross-site, or null when it is ours. */
export function csrfRefusal(request: FastifyRequest, csrfToken: string | null): string | null {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin') return `Cross-site request refused (Sec-Fetch-Site: ${site.slice(0, 20)})`;
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== ownOrigin(request)) return 'Cross-origin request refused: Origin does not match this site';
  const header = request.headers[CSRF_HEADER];
  if (csrfToken !== null && typeof header === 'string' && sameSecret(header, csrfToken)) return null;
  if (typeof origin === 'string') return null;
  return `A state-changing request with a session cookie needs the ${CSRF_HEADER} header or a same-origin Origin`;
}

export function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
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
