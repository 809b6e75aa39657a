import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

const customer = (code: string) => ({ code, name: `Customer ${code}`, country: 'DE', email: `${code.toLowerCase()}@example.com` });

describe.each(DIALECTS)('ERP and document API (%s)', (dialect) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(dialect);
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  it('creates a customer and a product, then an order with lines in one call, and lists them', async () => {
    const c = await svc.call('/api/v1/customers', { method: 'POST', json: customer('ACME') });
    expect(c.status).toBe(201);
    const created = await c.json();
    expect(c.headers.get('location')).toBe(`/api/v1/customers/${created.id}`);
    expect(created).toMatchObject({ code: 'ACME', segment: 'smb', version: 1 });

    const p = await svc.call('/api/v1/products', {
      method: 'POST',
      json: { sku: 'W-1', name: 'Widget', category: 'tools', unit_cost_cents: 400, unit_price_cents: 1000 },
    });
    expect(p.status).toBe(201);
    const product = await p.json();
    expect(product.active).toBe(true);

    const o = await svc.call('/api/v1/orders', {
      method: 'POST',
      json: {
        customer_id: created.id,
        order_date: '2026-03-15',
        lines: [
          { product_id: product.id, quantity: 3 },
          { product_id: product.id, quantity: 1, unit_price_cents: 800, discount_bp: 2500 },
        ],
      },
    });
    expect(o.status).toBe(201);
    const order = await o.json();
    expect(order.lines).toHaveLength(2);
    expect(order.total_cents).toBe(3000 + 600);
    expect(order.cost_cents).toBe(1600);

    const list = await (await svc.call('/api/v1/orders')).json();
    expect(list.total).toBe(1);
    expect(list.data[0].id).toBe(order.id);
    const customers = await (await svc.call('/api/v1/customers?sort=code&order=desc&page_size=10')).json();
    expect(customers.data.map((x: { code: string }) => x.code)).toEqual(['ACME']);
  });

  it('reads, patches with optimistic concurrency, and deletes', async () => {
    const created = await (await svc.call('/api/v1/customers', { method: 'POST', json: customer('PATCHME') })).json();
    const got = await svc.call(`/api/v1/customers/${created.id}`);
    const etag = got.headers.get('etag');
    expect(etag).toBe(`"${created.id}.1"`);

    const patched = await svc.call(`/api/v1/customers/${created.id}`, { method: 'PATCH', json: { name: 'Renamed' }, headers: { 'if-match': etag! } });
    expect(patched.status).toBe(200);
    expect((await patched.json()).version).toBe(2);

    const stale = await svc.call(`/api/v1/customers/${created.id}`, { method: 'PATCH', json: { name: 'Lost update' }, headers: { 'if-match': etag! } });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toContain('application/problem+json');
    expect((await (await svc.call(`/api/v1/customers/${created.id}`)).json()).name).toBe('Renamed');

    expect((await svc.call(`/api/v1/customers/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await svc.call(`/api/v1/customers/${created.id}`)).status).toBe(404);
    expect((await svc.call(`/api/v1/customers/${created.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('answers 409 for a duplicate code and for deleting a customer that has orders', async () => {
    const dup = await svc.call('/api/v1/customers', { method: 'POST', json: { ...customer('ACME'), email: 'someone-else@example.com' } });
    expect(dup.status).toBe(409);
    const body = await dup.json();
    expect(body.detail).toMatch(/code/);

    const acme = (await (await svc.call('/api/v1/customers?sort=code')).json()).data.find((c: { code: string }) => c.code === 'ACME');
    const referenced = await svc.call(`/api/v1/customers/${acme.id}`, { method: 'DELETE' });
    expect(referenced.status).toBe(409);
    expect((await svc.call(`/api/v1/customers/${acme.id}`)).status).toBe(200);
  });

  it('stores and returns document metadata as JSON', async () => {
    const doc = {
      title: '年度报告 2025',
      filename: 'report.pdf',
      media_type: 'application/pdf',
      size_bytes: 1234,
      sha256: 'a'.repeat(64),
      metadata: { lang: 'zh', pages: 12, tags: ['erp'] },
    };
    const res = await svc.call('/api/v1/documents', { method: 'POST', json: doc });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created).toMatchObject({ ...doc, status: 'pending' });
    const fetched = await (await svc.call(`/api/v1/documents/${created.id}`)).json();
    expect(fetched.metadata).toEqual(doc.metadata);
  });
});
