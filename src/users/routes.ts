import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AuthContext } from '../auth/index.ts';
import { ownOrigin, sendProblem, sessionContext, type SessionVerifier } from '../http/index.ts';
import { MemoryRateLimitStore, RateLimitedError, clientKey, type RateLimitPolicy, type RateLimitStore } from '../http/toolkit/index.ts';
import { AiStackError, ForbiddenError, UnauthorizedError } from '../shared/errors.ts';
import { MAX_PASSWORD_LENGTH } from './password.ts';
import type { SessionService } from './session-service.ts';
import { ROLES, type UserService } from './user-service.ts';

export const SESSION_COOKIE = 'ai_stack_session';

/** The users module's answer to the HTTP layer's "who is this cookie?". */
export function sessionVerifier(sessions: SessionService): SessionVerifier {
  return {
    cookieName: SESSION_COOKIE,
    async verify(token) {
      const session = await sessions.resolve(token);
      if (session === null) return null;
      const context: AuthContext = { keyId: null, userId: session.userId, name: session.username, scopes: [session.role] };
      return { context, csrfToken: session.csrfToken };
    },
  };
}

const Login = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }) },
  { additionalProperties: false },
);

export interface AuthRoutesOptions {
  users: UserService;
  sessions: SessionService;
  /** Sign-in attempts per client address (on top of the per-account lockout). */
  loginLimit?: RateLimitPolicy;
  /** Where attempts are counted: pass the Redis store so every node shares the count (default: this process). */
  limitStore?: RateLimitStore;
}

class LockedError extends AiStackError {
  constructor() {
    super('Too many failed sign-in attempts; the account is locked for a while', { code: 'account_locked', status: 429 });
  }
}

/** Sign-in for people under /api/v1/auth: no API key needed here, the routes make their own checks. */
export function authRoutes(options: AuthRoutesOptions) {
  const verifier = sessionVerifier(options.sessions);
  const policy = options.loginLimit ?? { limit: 20, windowMs: 60_000 };
  const local = new MemoryRateLimitStore();
  const shared = options.limitStore ?? local;
  // Redis trouble must not lock every person out: count in this process until it is back.
  const consume = (key: string) => shared.consume(key, policy, 1).catch(() => local.consume(key, policy, 1));

  const cookieOptions = (request: FastifyRequest, maxAgeSeconds: number) => ({
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    // request.protocol is https only on a TLS socket or, with AI_STACK_TRUST_PROXY, X-Forwarded-Proto: https.
    secure: request.protocol === 'https',
    maxAge: maxAgeSeconds,
  });

  async function signedIn(request: FastifyRequest, reply: FastifyReply): Promise<AuthContext | null> {
    const context = await sessionContext(request, verifier);
    if (context instanceof ForbiddenError) {
      await sendProblem(reply, request, context);
      return null;
    }
    if (context === null) {
      await sendProblem(reply, request, new UnauthorizedError('You are not signed in'));
      return null;
    }
    return context;
  }

  return async (app: FastifyInstance): Promise<void> => {
    app.post('/login', { schema: { tags: ['Auth'], body: Login, security: [] } }, async (request, reply) => {
      // No session yet, so no token: a foreign Origin is what login CSRF looks like.
      const site = request.headers['sec-fetch-site'];
      const origin = request.headers.origin;
      if ((typeof site === 'string' && site !== 'same-origin') || (typeof origin === 'string' && origin !== ownOrigin(request))) {
        throw new ForbiddenError('Cross-origin sign-in refused');
      }
      const decision = await consume(`login:${clientKey(request)}`);
      if (!decision.allowed) {
        void reply.header('retry-after', String(Math.ceil(decision.retryAfterMs / 1000)));
        throw new RateLimitedError('login', decision.retryAfterMs);
      }
      const body = request.body as { username: string; password: string };
      const outcome = await options.users.authenticate(body.username, body.password);
      if (!outcome.ok) {
        if (outcome.reason === 'locked') {
          void reply.header('retry-after', String(Math.ceil((outcome.retryAfterMs ?? 60_000) / 1000)));
          throw new LockedError();
        }
        throw new UnauthorizedError('Wrong username or password');
      }
      // A session id the browser brought along (perhaps planted) ends here; the new one is always fresh.
      const previous = request.cookies[SESSION_COOKIE];
      if (previous !== undefined && previous !== '') await options.sessions.revoke(previous);
      await options.sessions.purgeExpired();
      const session = await options.sessions.create(outcome.user.id);
      const maxAge = Math.floor((Date.parse(session.expiresAt) - Date.now()) / 1000);
      void reply.setCookie(SESSION_COOKIE, session.token, cookieOptions(request, maxAge));
      void reply.header('cache-control', 'no-store');
      return { user: publicUser(outcome.user), csrfToken: session.csrfToken, expiresAt: session.expiresAt };
    });

    app.get('/session', { schema: { tags: ['Auth'], security: [] } }, async (request, reply) => {
      const context = await signedIn(request, reply);
      if (context === null) return reply;
      const token = request.cookies[SESSION_COOKIE] ?? '';
      const session = await options.sessions.resolve(token);
      if (session === null) throw new UnauthorizedError('You are not signed in');
      void reply.header('cache-control', 'no-store');
      return { user: { id: session.userId, username: session.username, role: session.role }, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
    });

    app.post('/logout', { schema: { tags: ['Auth'], security: [] } }, async (request, reply) => {
      const context = await signedIn(request, reply);
      if (context === null) return reply;
      await options.sessions.revoke(request.cookies[SESSION_COOKIE] ?? '');
      void reply.clearCookie(SESSION_COOKIE, cookieOptions(request, 0));
      return reply.code(204).send();
    });

    app.post('/logout-all', { schema: { tags: ['Auth'], security: [] } }, async (request, reply) => {
      const context = await signedIn(request, reply);
      if (context === null || context.userId === undefined) return reply;
      const ended = await options.sessions.revokeAll(context.userId);
      void reply.clearCookie(SESSION_COOKIE, cookieOptions(request, 0));
      return { ended };
    });
  };
}

const UserCreate = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
    role: Type.Unsafe<(typeof ROLES)[number]>({ type: 'string', enum: [...ROLES] }),
  },
  { additionalProperties: false },
);

/** User management under /admin (admin scope). */
export function userAdminRoutes(users: UserService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/users', { schema: { tags: ['Admin'] } }, async () => ({ data: await users.list() }));
    app.post('/users', { schema: { tags: ['Admin'], body: UserCreate } }, async (request, reply) => {
      const body = request.body as { username: string; password: string; role: (typeof ROLES)[number] };
      return reply.code(201).send(await users.create(body));
    });
  };
}

function publicUser(user: { id: number; username: string; role: string }) {
  return { id: user.id, username: user.username, role: user.role };
}
