import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

/** Client-side routes of the console; each answers with the shell, which picks the page. */
export const CONSOLE_PAGES = ['/', '/login', '/overview', '/tasks', '/documents', '/search', '/reports', '/cache'] as const;

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Serves the built console (web/dist): hashed files under /assets are immutable for a year, the HTML shell is
 * revalidated every time (`no-cache`) so a deployment is picked up at once. Files are registered one route each
 * (no wildcard), so unknown paths keep answering problem+json and /api, /admin and /docs are untouched.
 */
export function consoleRoutes(distDir: string) {
  return async (app: FastifyInstance): Promise<void> => {
    if (!existsSync(join(distDir, 'index.html'))) {
      app.log.warn({ distDir }, 'web console not built: run "npm run build:web"; / will not serve it');
      return;
    }
    await app.register(fastifyStatic, {
      root: distDir,
      wildcard: false,
      index: false,
      cacheControl: false,
      preCompressed: true,
      setHeaders(reply, path) {
        void reply.header('cache-control', path.includes('/assets/') ? IMMUTABLE : 'no-cache');
        void reply.header('x-content-type-options', 'nosniff');
      },
    });
    for (const page of CONSOLE_PAGES) {
      app.get(page, { schema: { hide: true } }, async (_request, reply) => {
        void reply.header('cache-control', 'no-cache');
        // The console only loads its own scripts and talks to its own origin: XSS that slips through has nowhere to go.
        void reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
        void reply.header('x-frame-options', 'DENY');
        return reply.sendFile('index.html');
      });
    }
  };
}
