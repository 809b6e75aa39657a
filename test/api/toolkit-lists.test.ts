import { promisify } from 'node:util';
import { brotliDecompress, gunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

/** Lists over the real resources through the real runtime: offset links, keyset cursors, response cache, compression. */
describe.each(DIALECTS)('toolkit on list routes (%s)', (dialect) => {
  let svc: TestService;
  let seq = 0;
  const newCustomer = (prefix: string) => {
    seq++;
    return { code: `${prefix}-${seq}`, name: `Customer ${prefix} ${seq} ${'x'.repeat(40)}`, country: 'DE', email: `c${seq}@example.com` };
  };
  const createProduct = async (sku: string) => {
    const res = await svc.call('/api/v1/products', {
      method: 'POST',
      json: { sku, name: `Product ${sku}`, category: 'tools', unit_cost_cents: 100, unit_price_cents: 250 },
    });
    expect(res.status).toBe(201);
    return res.json();
  };

  beforeAll(async () => {
    svc = await startTestService(dialect);
    const res = await svc.call('/api/v1/customers/$bulk', { method: 'POST', json: { items: Array.from({ length: 45 }, () => newCustomer('SEED')) } });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  it('offset pages keep their JSON shape and carry RFC 8288 first/prev/next/last links', async () => {
    const res = await svc.call('/api/v1/customers?page=2&page_size=10');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(['data', 'page', 'page_size', 'total']);
    expect(body).toMatchObject({ page: 2, page_size: 10 });
    expect(body.data).toHaveLength(10);
    const total = body.total as number;
    const last = Math.ceil(total / 10);
    const link = res.headers.get('link') ?? '';
    expect(link).toContain('</api/v1/customers?page=1&page_size=10>; rel="first"');
    expect(link).toContain('</api/v1/customers?page=1&page_size=10>; rel="prev"');
    expect(link).toContain('</api/v1/customers?page=3&page_size=10>; rel="next"');
    expect(link).toContain(`</api/v1/customers?page=${last}&page_size=10>; rel="last"`);

    const lastPage = await svc.call(`/api/v1/customers?page=${last}&page_size=10`);
    expect(lastPage.headers.get('link')).not.toContain('rel="next"');
  });

  it.each([
    'page_size=0',
    'page_size=10000',
    'limit=0',
    'limit=101',
    'cursor=bogus',
    'cursor=eyJ4Ijox.AAAAAAAAAAAAAAAAAAAAAA',
    'page=2&cursor=abc',
    'mode=keyset&page=2',
  ])('answers 400 problem+json for %s', async (query) => {
    const res = await svc.call(`/api/v1/customers?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('a cursor from one sort order is refused for another, and a tampered one is refused', async () => {
    const first = await (await svc.call('/api/v1/customers?mode=keyset&limit=5&sort=code')).json();
    expect(first.next_cursor).toEqual(expect.any(String));
    expect((await svc.call(`/api/v1/customers?cursor=${first.next_cursor}&limit=5&sort=name`)).status).toBe(400);
    const [body, mac] = (first.next_cursor as string).split('.');
    const forged = Buffer.from(
      JSON.stringify(JSON.parse(Buffer.from(body!, 'base64url').toString()).map((v: unknown, i: number) => (i === 1 ? ['ZZZ', 1] : v))),
    ).toString('base64url');
    expect((await svc.call(`/api/v1/customers?cursor=${forged}.${mac}&limit=5&sort=code`)).status).toBe(400);
  });

  it('a cursor from one resource is refused by another with the same sort', async () => {
    for (const sku of ['CUR-1', 'CUR-2', 'CUR-3']) await createProduct(sku);
    const products = await (await svc.call('/api/v1/products?limit=1')).json();
    expect(products.next_cursor).toEqual(expect.any(String));
    const res = await svc.call(`/api/v1/customers?cursor=${encodeURIComponent(products.next_cursor)}&limit=5`);
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0]).toEqual({ field: 'cursor', message: 'made for another list or sort order' });
    expect((await svc.call(`/api/v1/products?cursor=${encodeURIComponent(products.next_cursor)}&limit=1`)).status).toBe(200);
  });

  it('a client following keyset cursors sees every row exactly once while rows are inserted concurrently', async () => {
    const before = (await (await svc.call('/api/v1/customers?page_size=100')).json()).data.map((row: { id: number }) => row.id);
    const inserted: number[] = [];
    let walking = true;
    // A writer inserts concurrently with the walk, in its own request stream.
    const writer = (async () => {
      while (walking) {
        const created = await svc.call('/api/v1/customers', { method: 'POST', json: newCustomer('LIVE') });
        expect(created.status).toBe(201);
        inserted.push((await created.json()).id);
      }
    })();
    const seen: number[] = [];
    let page = await (await svc.call('/api/v1/customers?mode=keyset&limit=7')).json();
    expect(Object.keys(page).sort()).toEqual(['data', 'has_more', 'limit', 'next_cursor']);
    try {
      for (let pages = 0; ; pages++) {
        seen.push(...page.data.map((row: { id: number }) => row.id));
        if (!page.has_more || pages > 200) break;
        // Let the writer get a few rows in between pages.
        await new Promise((resolve) => setImmediate(resolve));
        page = await (await svc.call(`/api/v1/customers?cursor=${encodeURIComponent(page.next_cursor)}&limit=7`)).json();
      }
    } finally {
      walking = false;
      await writer;
    }
    expect(page.has_more).toBe(false);
    expect(new Set(seen).size).toBe(seen.length); // nothing twice
    for (const id of before) expect(seen).toContain(id); // nothing that existed at the start is skipped
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(inserted.length).toBeGreaterThan(0);
  });

  it('keyset pages by a non-unique column use the id tie-breaker (descending)', async () => {
    for (const sku of ['K-1', 'K-2', 'K-3', 'K-4', 'K-5']) await createProduct(sku); // equal unit_price_cents
    const ids: number[] = [];
    let url = '/api/v1/products?mode=keyset&limit=2&sort=unit_price_cents&order=desc';
    for (let guard = 0; guard < 20; guard++) {
      const res = await svc.call(url);
      const page = await res.json();
      ids.push(...page.data.map((row: { id: number }) => row.id));
      if (!page.has_more) break;
      expect(res.headers.get('link')).toMatch(/<\/api\/v1\/products\?.*cursor=.*>; rel="next"/);
      url = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')![1]!;
    }
    const all = (await (await svc.call('/api/v1/products?page_size=100')).json()).data.map((row: { id: number }) => row.id);
    expect([...ids].sort()).toEqual([...all].sort());
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });

  it.each([
    ['customers', ['id', 'code', 'name', 'created_at']],
    ['products', ['id', 'sku', 'name', 'category', 'unit_price_cents']],
    ['orders', ['id', 'order_no', 'order_date', 'total_cents']],
  ] as const)('keyset walks over every sortable column of %s return each row once, in both directions', async (resource, sorts) => {
    if (resource === 'orders') {
      const customer = (await (await svc.call('/api/v1/customers?page_size=1')).json()).data[0].id;
      const product = (await createProduct(`ORD-${dialect}`)).id;
      for (const [day, quantity] of [
        ['2026-01-02', 1],
        ['2026-01-02', 2],
        ['2026-01-01', 2],
        ['2026-02-01', 5],
        ['2026-01-02', 1],
      ] as const) {
        const res = await svc.call('/api/v1/orders', {
          method: 'POST',
          json: { customer_id: customer, order_date: day, lines: [{ product_id: product, quantity }] },
        });
        expect(res.status).toBe(201);
      }
    }
    const all = (await (await svc.call(`/api/v1/${resource}?page_size=100`)).json()).data.map((row: { id: number }) => row.id);
    expect(all.length).toBeGreaterThan(2);
    for (const sort of sorts) {
      for (const order of ['asc', 'desc']) {
        const offsetOrder = (await (await svc.call(`/api/v1/${resource}?page_size=100&sort=${sort}&order=${order}`)).json()).data.map(
          (row: { id: number }) => row.id,
        );
        const walked: number[] = [];
        let url = `/api/v1/${resource}?mode=keyset&limit=3&sort=${sort}&order=${order}`;
        for (let guard = 0; guard < 100; guard++) {
          const res = await svc.call(url);
          expect(res.status).toBe(200);
          const page = await res.json();
          walked.push(...page.data.map((row: { id: number }) => row.id));
          if (!page.has_more) break;
          url = `/api/v1/${resource}?cursor=${encodeURIComponent(page.next_cursor)}&limit=3&sort=${sort}&order=${order}`;
        }
        // Same (sort, id) order as the offset list.
        expect(walked, `${resource} by ${sort} ${order}`).toEqual(offsetOrder);
      }
    }
  });

  it('serves a list from the shared response cache, then shows a new row right after a create', async () => {
    const url = '/api/v1/customers?page_size=99&sort=code&order=desc'; // a URL no other test reads
    const first = await svc.call(url);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const before = await first.json();
    const second = await svc.call(url);
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(await second.json()).toEqual(before);

    const created = await (await svc.call('/api/v1/customers', { method: 'POST', json: { ...newCustomer('NEW'), code: 'ZZZ-NEWEST' } })).json();
    const third = await svc.call(url);
    expect(third.headers.get('x-cache')).toBe('MISS');
    const after = await third.json();
    expect(after.total).toBe(before.total + 1);
    expect(after.data[0].id).toBe(created.id);

    // PATCH and DELETE purge too.
    await svc.call(url);
    expect((await svc.call(`/api/v1/customers/${created.id}`, { method: 'PATCH', json: { name: 'Renamed newest' } })).status).toBe(200);
    const fourth = await svc.call(url);
    expect(fourth.headers.get('x-cache')).toBe('MISS');
    expect((await fourth.json()).data[0].name).toBe('Renamed newest');
    expect((await svc.call(`/api/v1/customers/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await (await svc.call(url)).json()).total).toBe(before.total);
  });

  it('a compressed list decompresses to the same JSON as the identity one, and a cached one revalidates to 304', async () => {
    const url = '/api/v1/customers?page_size=50';
    const plain = await svc.call(url, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    const expected = await plain.json();
    for (const coding of ['br', 'gzip'] as const) {
      // Node's fetch would decode transparently; read the raw bytes with node:http semantics instead.
      const res = await fetchRaw(svc, url, coding);
      expect(res.encoding).toBe(coding);
      const decoded = coding === 'br' ? await promisify(brotliDecompress)(res.body) : await promisify(gunzip)(res.body);
      expect(JSON.parse(decoded.toString('utf8'))).toEqual(expected);
      expect(res.body.length).toBeLessThan(Buffer.byteLength(JSON.stringify(expected)));
      expect(res.vary).toMatch(/accept-encoding/i);
    }
    const etag = plain.headers.get('etag')!;
    const revalidated = await svc.call(url, { headers: { 'if-none-match': etag, 'accept-encoding': 'identity' } });
    expect(revalidated.status).toBe(304);
  });
});

async function fetchRaw(svc: TestService, path: string, coding: string): Promise<{ encoding: string | undefined; vary: string | undefined; body: Buffer }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(svc.baseUrl + path, { headers: { authorization: `Bearer ${svc.adminKey}`, 'accept-encoding': coding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ encoding: res.headers['content-encoding'], vary: res.headers.vary, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
