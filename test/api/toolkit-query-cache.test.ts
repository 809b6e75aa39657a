import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToolkitFor } from '../../src/app/api-toolkit.ts';
import { QueryCache, translateDatabaseError } from '../../src/db/index.ts';
import { documentRoutes } from '../../src/documents/index.ts';
import { erpRoutes } from '../../src/erp/index.ts';
import { buildServer, type App } from '../../src/http/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

/**
 * The query cache behind the list totals, wired the way the composition root should wire it
 * (`erpRoutes(db.kysely, { queryCache })`): a second server over the same runtime's database, keys and cache.
 */
describe.each(DIALECTS)('query cache through the API (%s)', (dialect) => {
  let svc: TestService;
  let app: App;
  let queryCache: QueryCache;
  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) => {
    const res = await app.inject({ method, url, headers: { authorization: `Bearer ${svc.adminKey}` }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, headers: res.headers, body: res.body === '' ? undefined : (JSON.parse(res.body) as Record<string, unknown>) };
  };

  beforeAll(async () => {
    svc = await startTestService(dialect);
    const { runtime } = svc;
    const registry = new Registry();
    queryCache = new QueryCache(runtime.db, { registry });
    app = await buildServer({
      logger: silentLogger,
      registry,
      keys: runtime.keys,
      bodyLimitBytes: runtime.config.http.bodyLimitBytes,
      readiness: [],
      translateError: (error) => translateDatabaseError(error),
      api: [apiToolkitFor(runtime.config, { cache: runtime.cache, registry, logger: silentLogger }), erpRoutes(runtime.db.kysely, { queryCache }), documentRoutes(runtime.db.kysely, { queryCache })],
      admin: [],
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await svc.cleanup();
  });

  it('a list total is read from the query cache until a write through the API invalidates it', async () => {
    for (const code of ['Q-1', 'Q-2']) expect((await call('POST', '/api/v1/customers', { code, name: code, country: 'DE' })).status).toBe(201);

    const first = await call('GET', '/api/v1/customers?page_size=1');
    expect(first.body?.total).toBe(2);
    const misses = queryCache.misses;
    // Another page (another response-cache entry, so the handler runs): same count, served from the query cache.
    const hitsBefore = queryCache.hits;
    const second = await call('GET', '/api/v1/customers?page_size=2');
    expect(second.headers['x-cache']).toBe('MISS');
    expect(second.body?.total).toBe(2);
    expect(queryCache.hits).toBe(hitsBefore + 1);
    expect(queryCache.misses).toBe(misses);

    // A write through the API: the cached count is stale and the next read goes to the database.
    expect((await call('POST', '/api/v1/customers', { code: 'Q-3', name: 'Q-3', country: 'DE' })).status).toBe(201);
    const third = await call('GET', '/api/v1/customers?page_size=3');
    expect(third.body?.total).toBe(3);
    expect(queryCache.stale).toBeGreaterThan(0);

    // Bulk and delete invalidate too (same response-cache URL as the first read: the purge and the count agree).
    expect((await call('POST', '/api/v1/customers/$bulk', { items: [{ code: 'Q-4', name: 'Q-4', country: 'DE' }] })).status).toBe(200);
    expect((await call('GET', '/api/v1/customers?page_size=1')).body?.total).toBe(4);
    const id = ((await call('GET', '/api/v1/customers?sort=code&order=desc&page_size=1')).body?.data as Array<{ id: number }>)[0]!.id;
    expect((await call('DELETE', `/api/v1/customers/${id}`)).status).toBe(204);
    expect((await call('GET', '/api/v1/customers?page_size=1')).body?.total).toBe(3);
  });

  it('a rolled-back atomic bulk leaves the total right, a committed one updates it', async () => {
    const doc = (title: string, metadata: Record<string, unknown> = {}) => ({ title, filename: `${title}.pdf`, media_type: 'application/pdf', size_bytes: 1, sha256: 'a'.repeat(64), metadata });
    expect((await call('GET', '/api/v1/documents?page_size=1')).body?.total).toBe(0);
    const failed = await call('POST', '/api/v1/documents/$bulk?atomic=true', { items: [doc('ok'), doc('too-big', { big: 'x'.repeat(17 * 1024) })] });
    expect(failed.status).toBe(400);
    expect((await call('GET', '/api/v1/documents?page_size=2')).body?.total).toBe(0);
    expect((await call('POST', '/api/v1/documents/$bulk?atomic=true', { items: [doc('one'), doc('two')] })).status).toBe(200);
    expect((await call('GET', '/api/v1/documents?page_size=3')).body?.total).toBe(2);
  });
});
