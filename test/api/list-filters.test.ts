// List filters on indexed fields: /orders?status=paid&customer_id=…&created_after=…, validated, documented,
// on both dialects, with keyset pagination and the list caches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';

describe.each(DIALECTS)('list filters (%s)', (dialect) => {
  let svc: TestService;
  const ids: { acme: number; beta: number; product: number } = { acme: 0, beta: 0, product: 0 };
  let midpoint = '';

  beforeAll(async () => {
    svc = await startTestService(dialect);
    const customer = async (code: string, country: string) =>
      (await (await svc.call('/api/v1/customers', { method: 'POST', json: { code, name: code, country } })).json()).id as number;
    ids.acme = await customer('ACME', 'DE');
    ids.beta = await customer('BETA', 'FR');
    ids.product = (
      await (
        await svc.call('/api/v1/products', {
          method: 'POST',
          json: { sku: 'P-1', name: 'Widget', category: 'tools', unit_cost_cents: 100, unit_price_cents: 150 },
        })
      ).json()
    ).id;
    const order = async (customer_id: number, status: string): Promise<string> => {
      const res = await svc.call('/api/v1/orders', {
        method: 'POST',
        json: { customer_id, status, order_date: '2026-03-15', lines: [{ product_id: ids.product, quantity: 1 }] },
      });
      expect(res.status).toBe(201);
      return (await res.json()).created_at as string;
    };
    for (let i = 0; i < 3; i++) await order(ids.acme, 'paid');
    const last = Date.parse(await order(ids.acme, 'confirmed'));
    // created_at has millisecond resolution: wait for the clock to pass the last one, so later orders are strictly after.
    await eventually(() => Date.now() > last + 1, 5_000, 'the clock to pass the last order');
    midpoint = new Date(last + 1).toISOString();
    for (let i = 0; i < 2; i++) await order(ids.beta, 'paid');
  });
  afterAll(async () => svc.cleanup());

  const list = async (query: string) => {
    const res = await svc.call(`/api/v1/orders?${query}`);
    return { status: res.status, body: await res.json() };
  };

  it('filters by status, customer and creation time, counting only the matching rows', async () => {
    expect((await list('status=paid')).body.total).toBe(5);
    const acmePaid = await list(`status=paid&customer_id=${ids.acme}`);
    expect(acmePaid.body.total).toBe(3);
    expect(acmePaid.body.data.every((o: { status: string; customer_id: number }) => o.status === 'paid' && o.customer_id === ids.acme)).toBe(true);
    expect((await list(`created_after=${encodeURIComponent(midpoint)}`)).body.total).toBe(2);
    expect((await list(`created_before=${encodeURIComponent(midpoint)}&status=confirmed`)).body.total).toBe(1);
    expect((await svc.call('/api/v1/customers?country=FR').then((r) => r.json())).data.map((c: { code: string }) => c.code)).toEqual(['BETA']);
    expect((await svc.call('/api/v1/products?category=tools').then((r) => r.json())).total).toBe(1);
  });

  it('pages a filtered list with keyset cursors', async () => {
    const first = await list('status=paid&limit=2');
    expect(first.body.data).toHaveLength(2);
    const second = await list(`status=paid&limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    const third = await list(`status=paid&limit=2&cursor=${encodeURIComponent(second.body.next_cursor)}`);
    const seen = [...first.body.data, ...second.body.data, ...third.body.data].map((o: { id: number }) => o.id);
    expect(new Set(seen).size).toBe(5);
    expect(third.body.has_more).toBe(false);
  });

  it('does not serve one filter the cached list of another, and sees new rows', async () => {
    expect((await list('status=confirmed')).body.total).toBe(1);
    expect((await list('status=paid')).body.total).toBe(5);
    await svc.call(`/api/v1/orders`, {
      method: 'POST',
      json: { customer_id: ids.beta, status: 'confirmed', order_date: '2026-03-16', lines: [{ product_id: ids.product, quantity: 2 }] },
    });
    expect((await list('status=confirmed')).body.total).toBe(2);
  });

  it('validates filter values with a 400 naming each field', async () => {
    const bad = await list('status=lost&customer_id=abc&created_after=yesterday');
    expect(bad.status).toBe(400);
    const fields = bad.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['querystring/status', 'querystring/customer_id', 'querystring/created_after']));
    expect((await list('unknown_filter=1')).status).toBe(400);
  });

  it('documents the filters in OpenAPI, all optional', async () => {
    const spec = await (await svc.call('/docs/json', { key: null })).json();
    const params = spec.paths['/api/v1/orders'].get.parameters.filter((p: { in: string }) => p.in === 'query');
    const byName = Object.fromEntries(params.map((p: { name: string }) => [p.name, p]));
    for (const name of ['status', 'customer_id', 'created_after', 'created_before']) {
      expect(byName[name], name).toBeDefined();
      expect(byName[name].required, name).not.toBe(true);
    }
  });
});
