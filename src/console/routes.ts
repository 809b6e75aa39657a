import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync, zstdCompressSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { negotiateEncoding, type Coding } from '../http/toolkit/index.ts';
import { NotFoundError } from '../shared/errors.ts';

/** Client-side routes of the console; each answers with the shell, which picks the page. */
export const CONSOLE_PAGES = [
  '/',
  '/login',
  '/overview',
  '/tasks',
  '/documents',
  '/search',
  '/reports',
  '/cache',
  '/database',
  '/access',
  '/mail',
  '/settings',
] as const;

export interface ConsoleRouteOptions {
  /** AI_STACK_ASSET_BASE_URL: a CDN that mirrors web/dist/assets; null serves them from here. */
  assetBaseUrl?: string | null;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
const EXTENSION: Record<Coding, string> = { zstd: '.zst', br: '.br', gzip: '.gz' };
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.woff2': 'font/woff2',
};

interface Asset {
  path: string;
  type: string;
  /** The precompressed siblings the build wrote (.zst, .br, .gz). */
  codings: Coding[];
}

function csp(assetOrigin: string | null): string {
  const from = assetOrigin ? `'self' ${assetOrigin}` : "'self'";
  // The console only loads its own scripts and talks to its own origin: XSS that slips through has nowhere to go.
  return `default-src 'self'; script-src ${from}; style-src ${from} 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`;
}

/** The shell with its asset URLs pointing where they are served, compressed once in every coding. */
function shellVariants(distDir: string, assetBase: string): { etag: string; bodies: Record<Coding | 'identity', Buffer> } {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8').replaceAll(/(["'])\.\/assets\//g, `$1${assetBase}/assets/`);
  const body = Buffer.from(html);
  return {
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    bodies: {
      identity: body,
      br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
      gzip: gzipSync(body, { level: 9 }),
      zstd: zstdCompressSync(body),
    },
  };
}

function scanAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  const names = new Set(readdirSync(dir));
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type === undefined || !statSync(join(dir, name)).isFile()) continue;
    assets.set(name, { path: join(dir, name), type, codings: (['zstd', 'br', 'gzip'] as const).filter((c) => names.has(name + EXTENSION[c])) });
  }
  return assets;
}

/**
 * Serves the built console (web/dist): hashed files under /assets are immutable for a year, the HTML shell is
 * revalidated every time (`no-cache` + ETag) so a deployment is picked up at once. Both come precompressed
 * (zstd, Brotli, gzip) and are chosen by the same Accept-Encoding negotiation as the API's. With an asset base
 * URL the shell loads its scripts from the CDN instead (and the CSP allows that origin). Only known files and
 * page paths are routed, so unknown paths keep answering problem+json and /api, /admin and /docs are untouched.
 */
export function consoleRoutes(distDir: string, options: ConsoleRouteOptions = {}) {
  return async (app: FastifyInstance): Promise<void> => {
    if (!existsSync(join(distDir, 'index.html'))) {
      app.log.warn({ distDir }, 'web console not built: run "npm run build:web"; / will not serve it');
      return;
    }
    const assetBase = options.assetBaseUrl ?? '';
    const shell = shellVariants(distDir, assetBase);
    const policy = csp(options.assetBaseUrl ? new URL(options.assetBaseUrl).origin : null);
    const assets = scanAssets(join(distDir, 'assets'));

    const sendShell = async (request: FastifyRequest, reply: FastifyReply) => {
      void reply.header('cache-control', 'no-cache').header('etag', shell.etag).header('vary', 'accept-encoding');
      void reply.header('content-security-policy', policy).header('x-frame-options', 'DENY').header('x-content-type-options', 'nosniff');
      if (request.headers['if-none-match'] === shell.etag) return reply.code(304).send();
      const coding = negotiateEncoding(request.headers['accept-encoding']).coding ?? 'identity';
      if (coding !== 'identity') void reply.header('content-encoding', coding);
      return reply.type('text/html; charset=utf-8').send(shell.bodies[coding]);
    };
    for (const page of CONSOLE_PAGES) app.get(page, { schema: { hide: true } }, sendShell);

    app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
      const asset = assets.get(request.params.file);
      if (!asset) throw new NotFoundError(`asset ${JSON.stringify(request.params.file.slice(0, 100))}`);
      const negotiated = negotiateEncoding(request.headers['accept-encoding'], asset.codings);
      const coding = negotiated.coding === null || negotiated.coding === 'identity' ? null : negotiated.coding;
      const path = coding ? asset.path + EXTENSION[coding] : asset.path;
      void reply.header('cache-control', IMMUTABLE).header('vary', 'accept-encoding').header('x-content-type-options', 'nosniff');
      // A CDN fetching the assets is another origin: let it (and pages it serves them to) load them.
      void reply.header('access-control-allow-origin', '*');
      if (coding) void reply.header('content-encoding', coding);
      return reply.type(asset.type).header('content-length', statSync(path).size).send(createReadStream(path));
    });
  };
}
