import Fastify, { type FastifyInstance } from 'fastify';
import { AiStackError } from '../../../../src/shared/errors.ts';

/**
 * A small Fastify app for toolkit tests: a stand-in auth hook (`Authorization: Bearer <keyId>:<scope>`)
 * and a minimal AiStackError → problem+json handler (the service's own handler replaces both).
 */
export function testApp(): FastifyInstance {
  const app = Fastify({ logger: false });
  app.decorateRequest('auth', null);
  app.setErrorHandler((error, _request, reply) => {
    const known = error instanceof AiStackError ? error : null;
    const validation = (error as { validation?: unknown }).validation !== undefined;
    const status = known?.status ?? (validation ? 400 : 500);
    void reply
      .code(status)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: known?.name ?? 'Error',
        status,
        detail: error instanceof Error ? error.message : 'error',
        code: known?.code ?? 'internal_error',
        issues: known?.issues ?? [],
      });
  });
  return app;
}

/** Registers the stand-in auth hook in the given context (call inside the context, like the service does). */
export function fakeAuth(app: FastifyInstance, options: { required?: boolean } = {}): void {
  app.addHook('onRequest', async (request) => {
    const match = /^Bearer (\d+):(read|write|admin)$/.exec(request.headers.authorization ?? '');
    if (match === null) {
      if (options.required === true) throw new AiStackError('A valid API key is required', { code: 'unauthorized', status: 401 });
      return;
    }
    const scope = match[2] as 'read' | 'write' | 'admin';
    const needed = (request.routeOptions.config as { scope?: 'read' | 'write' | 'admin' }).scope ?? (request.method === 'GET' ? 'read' : 'write');
    const rank = { read: 1, write: 2, admin: 3 } as const;
    if (rank[scope] < rank[needed]) throw new AiStackError(`needs ${needed}`, { code: 'forbidden', status: 403 });
    (request as unknown as { auth: unknown }).auth = { keyId: Number(match[1]), scopes: [scope] };
  });
}

export function randomPrefix(area: string): string {
  return `test:toolkit:${area}:${Math.random().toString(36).slice(2, 10)}:`;
}
