import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryCache } from '../../src/db/index.ts';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

/** The query cache behind the list totals, as the composition root wires it (`runtime.queryCache`). */
describe.each(DIALECTS)('query cache through the API (%s)', (dialect) => {
  let svc: TestService;
  let queryCache: QueryCache;
  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) => {
    const res = await svc.call(url, { method, ...(body === undefined ? {} : { json: body }) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
  };

  beforeAll(async () => {
    svc = await startTestService(dialect);
    if (!svc.runtime.queryCache) throw new Error('the runtime wires a query cache by default');
    queryCache = svc.runtime.queryCache;
  });
  afterAll(async () => {
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
    expect(second.headers.get('x-cache')).toBe('MISS');
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
    const doc = (title: string, metadata: Record<string, unknown> = {}) => ({
      title,
      filename: `${title}.pdf`,
      media_type: 'application/pdf',
      size_bytes: 1,
      sha256: 'a'.repeat(64),
      metadata,
    });
    expect((await call('GET', '/api/v1/documents?page_size=1')).body?.total).toBe(0);
    const failed = await call('POST', '/api/v1/documents/$bulk?atomic=true', { items: [doc('ok'), doc('too-big', { big: 'x'.repeat(17 * 1024) })] });
    expect(failed.status).toBe(400);
    expect((await call('GET', '/api/v1/documents?page_size=2')).body?.total).toBe(0);
    expect((await call('POST', '/api/v1/documents/$bulk?atomic=true', { items: [doc('one'), doc('two')] })).status).toBe(200);
    expect((await call('GET', '/api/v1/documents?page_size=3')).body?.total).toBe(2);
  });
});
