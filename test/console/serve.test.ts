import { initialJsGzipBytes, initialScripts, routeChunkGzipBytes } from '../../fixtures/console-bundle.ts';
import { CONSOLE_ROUTES } from '../../fixtures/console-lighthouse.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST, ensureConsoleBuilt } from '../../src/console/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

/** Gzip kB each page may add to the shell when opened. Charts load later, on demand, in their own chunk. */
const ROUTE_BUDGET_KB: Record<string, number> = { '/login': 2, '/overview': 3, '/documents': 6, '/search': 4, '/reports': 4, '/tasks': 6, '/cache': 4 };
const SHELL_BUDGET_KB = 20;

describe('the web console served by the service', () => {
  let svc: TestService;
  beforeAll(async () => {
    await ensureConsoleBuilt(silentLogger);
    svc = await startTestService('sqlite');
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  it('serves the shell at / and at page paths with no-cache, and hashed assets immutable for a year', async () => {
    for (const path of ['/', ...CONSOLE_ROUTES]) {
      const res = await svc.call(path, { key: null });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    }
    const html = await (await svc.call('/', { key: null })).text();
    const scripts = initialScripts(html);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      const asset = await svc.call(src, { key: null });
      expect(asset.status, src).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(asset.headers.get('content-type')).toContain('javascript');
    }
  });

  it('serves precompressed Brotli or gzip by Accept-Encoding, identical once decoded', async () => {
    const html = await (await svc.call('/', { key: null })).text();
    const src = initialScripts(html)[0]!;
    const plain = Buffer.from(await (await svc.call(src, { key: null, headers: { 'accept-encoding': 'identity' } })).arrayBuffer());
    for (const encoding of ['br', 'gzip']) {
      const res = await fetch(svc.baseUrl + src, { headers: { 'accept-encoding': encoding } });
      expect(res.headers.get('content-encoding'), encoding).toBe(encoding);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(Buffer.from(await res.arrayBuffer()).equals(plain)).toBe(true);
    }
  });

  it('leaves /docs, /api/v1, /admin and unknown paths as they were', async () => {
    expect((await svc.call('/docs/json', { key: null })).status).toBe(200);
    expect((await svc.call('/api/v1/customers', { key: null })).status).toBe(401);
    expect((await svc.call('/admin/keys', { key: null })).status).toBe(401);
    const unknown = await svc.call('/no-such-page', { key: null });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    expect((await svc.call('/assets/../../package.json', { key: null })).status).toBe(404);
  });

  it('keeps the initial JavaScript of the shell within budget (the issue: 100 kB gzip; ours is tighter)', () => {
    const total = initialJsGzipBytes(CONSOLE_DIST);
    expect(total).toBeGreaterThan(1000);
    expect(total / 1000).toBeLessThanOrEqual(SHELL_BUDGET_KB);
  });

  it('keeps each route chunk within its budget, and every route has one', () => {
    const routes = routeChunkGzipBytes(CONSOLE_DIST);
    expect(Object.keys(routes).sort()).toEqual([...CONSOLE_ROUTES].sort());
    for (const [route, bytes] of Object.entries(routes)) {
      expect(bytes, route).toBeGreaterThan(100);
      expect(bytes / 1000, route).toBeLessThanOrEqual(ROUTE_BUDGET_KB[route]!);
    }
  });
});
