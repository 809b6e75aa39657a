import { initialJsGzipBytes, initialScripts, onDemandChunk, routeChunkGzipBytes } from '../../fixtures/console-bundle.ts';
import { CONSOLE_ROUTES } from '../../fixtures/console-lighthouse.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_DIST, ensureConsoleBuilt } from '../../src/console/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

/** Gzip kB each page may add to the shell when opened. Charts load later, on demand, in their own chunk. */
const ROUTE_BUDGET_KB: Record<string, number> = {
  '/login': 2,
  '/overview': 3,
  '/documents': 6,
  '/search': 4,
  '/reports': 4,
  '/tasks': 6,
  '/cache': 4,
  '/database': 3,
  '/access': 3,
  '/mail': 4,
  '/settings': 3,
};
const SHELL_BUDGET_KB = 20;
/** Gzip kB of chunks a page fetches on demand, by source: only the page named may load them. */
const ON_DEMAND_BUDGET_KB: Record<string, { kb: number; loadedBy: string }> = {
  'src/pages/pivot-builder.tsx': { kb: 7, loadedBy: 'src/pages/reports.tsx' },
  'src/pages/pivot-heatmap.tsx': { kb: 2, loadedBy: 'src/pages/pivot-builder.tsx' },
  'src/pages/forecast-chart.tsx': { kb: 2, loadedBy: 'src/pages/reports.tsx' },
};

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
    for (const encoding of ['zstd', 'br', 'gzip']) {
      const res = await fetch(svc.baseUrl + src, { headers: { 'accept-encoding': encoding } });
      expect(res.headers.get('content-encoding'), encoding).toBe(encoding);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(Buffer.from(await res.arrayBuffer()).equals(plain)).toBe(true);
    }
  });

  it('revalidates the shell by ETag and serves it compressed too', async () => {
    const first = await svc.call('/overview', { key: null, headers: { 'accept-encoding': 'zstd, br, gzip' } });
    expect(first.headers.get('content-encoding')).toBe('zstd');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect((await svc.call('/overview', { key: null, headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('points the shell at AI_STACK_ASSET_BASE_URL, allows that origin in the CSP, and still serves the files for the CDN to pull', async () => {
    const cdn = await startTestService('sqlite', { AI_STACK_ASSET_BASE_URL: 'https://cdn.example.com/console/' });
    try {
      const res = await cdn.call('/', { key: null });
      const html = await res.text();
      const scripts = initialScripts(html);
      expect(scripts.length).toBeGreaterThan(0);
      for (const src of scripts) expect(src).toMatch(/^https:\/\/cdn\.example\.com\/console\/assets\/[\w-]+\.js$/);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self' https://cdn.example.com");
      const local = await cdn.call(new URL(scripts[0]!).pathname.replace('/console', ''), { key: null });
      expect(local.status).toBe(200);
      expect(local.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    } finally {
      await cdn.cleanup();
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
    expect((await svc.call('/assets/..%2F..%2Fpackage.json', { key: null })).status).toBe(404);
    expect((await svc.call('/assets/no-such-file.js', { key: null })).headers.get('content-type')).toContain('application/problem+json');
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

  it('loads the pivot builder and the charts in their own chunks, each only from its page, within budget', () => {
    for (const [source, budget] of Object.entries(ON_DEMAND_BUDGET_KB)) {
      const chunk = onDemandChunk(CONSOLE_DIST, source);
      expect(chunk.loadedBy, source).toEqual([budget.loadedBy]);
      expect(chunk.gzipBytes, source).toBeGreaterThan(100);
      expect(chunk.gzipBytes / 1000, source).toBeLessThanOrEqual(budget.kb);
    }
  });
});
