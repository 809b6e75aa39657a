import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

/** Items, bulk, idempotency and $batch over the real resources through the real runtime. */
describe.each(DIALECTS)('toolkit on item and write routes (%s)', (dialect) => {
  let svc: TestService;
  let customerId: number;
  let productId: number;
  const count = async (path: string) => (await (await svc.call(`${path}?page_size=1`)).json()).total as number;

  beforeAll(async () => {
    svc = await startTestService(dialect);
    customerId = (await (await svc.call('/api/v1/customers', { method: 'POST', json: { code: 'BASE', name: 'Base customer', country: 'DE' } })).json()).id;
    productId = (
      await (
        await svc.call('/api/v1/products', {
          method: 'POST',
          json: { sku: 'BASE-1', name: 'Widget', category: 'tools', unit_cost_cents: 100, unit_price_cents: 250 },
        })
      ).json()
    ).id;
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  it('answers 304 for an unchanged item and 200 with the new "<id>.<version>" ETag after a PATCH; If-Match still guards writes', async () => {
    const first = await svc.call(`/api/v1/products/${productId}`);
    const etag = first.headers.get('etag')!;
    expect(etag).toBe(`"${productId}.1"`);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');

    const unchanged = await svc.call(`/api/v1/products/${productId}`, { headers: { 'if-none-match': etag } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get('etag')).toBe(etag);
    expect(await unchanged.text()).toBe('');
    // Weak comparison and lists work as for any If-None-Match.
    expect((await svc.call(`/api/v1/products/${productId}`, { headers: { 'if-none-match': `"x", W/${etag}` } })).status).toBe(304);
    const head = await svc.call(`/api/v1/products/${productId}`, { method: 'HEAD', headers: { 'if-none-match': etag } });
    expect(head.status).toBe(304);

    const patched = await svc.call(`/api/v1/products/${productId}`, { method: 'PATCH', json: { unit_price_cents: 300 }, headers: { 'if-match': etag } });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe(`"${productId}.2"`);

    const changed = await svc.call(`/api/v1/products/${productId}`, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).toBe(`"${productId}.2"`);
    expect((await changed.json()).unit_price_cents).toBe(300);

    const stale = await svc.call(`/api/v1/products/${productId}`, { method: 'PATCH', json: { unit_price_cents: 1 }, headers: { 'if-match': etag } });
    expect(stale.status).toBe(412);
    expect((await svc.call('/api/v1/products/999999', { headers: { 'if-none-match': etag } })).status).toBe(404);
  });

  it('a compressed item keeps its version in the ETag: If-None-Match and If-Match accept the coding-suffixed tag', async () => {
    const lines = Array.from({ length: 12 }, () => ({ product_id: productId, quantity: 1 }));
    const order = await (await svc.call('/api/v1/orders', { method: 'POST', json: { customer_id: customerId, lines } })).json();
    const got = await svc.call(`/api/v1/orders/${order.id}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(got.headers.get('content-encoding')).toBe('gzip');
    const etag = got.headers.get('etag')!;
    expect(etag).toBe(`"${order.id}.1-gzip"`);
    expect((await svc.call(`/api/v1/orders/${order.id}`, { headers: { 'if-none-match': etag, 'accept-encoding': 'br' } })).status).toBe(304);
    const patched = await svc.call(`/api/v1/orders/${order.id}`, { method: 'PATCH', json: { notes: 'gzip etag' }, headers: { 'if-match': etag } });
    expect(patched.status).toBe(200);
    expect((await svc.call(`/api/v1/orders/${order.id}`, { method: 'PATCH', json: { notes: 'stale' }, headers: { 'if-match': etag } })).status).toBe(412);
  });

  it('bulk create reports each item: 207 multi-status with a problem for the duplicate, the rest created', async () => {
    const before = await count('/api/v1/customers');
    const res = await svc.call('/api/v1/customers/$bulk', {
      method: 'POST',
      json: {
        items: [
          { code: 'B-1', name: 'One', country: 'DE' },
          { code: 'BASE', name: 'Duplicate', country: 'DE' },
          { code: 'B-3', name: 'Three', country: 'FR' },
        ],
      },
    });
    expect(res.status).toBe(207);
    const body = await res.json();
    expect(body).toMatchObject({ succeeded: 2, failed: 1 });
    expect(body.results.map((r: { status: number }) => r.status)).toEqual([201, 409, 201]);
    expect(body.results[1].error).toMatchObject({ status: 409, code: 'already_exists' });
    expect(body.results[0].data).toMatchObject({ code: 'B-1', version: 1 });
    expect(await count('/api/v1/customers')).toBe(before + 2);
  });

  it('atomic bulk create rolls everything back and names the failing item', async () => {
    const before = await count('/api/v1/customers');
    const res = await svc.call('/api/v1/customers/$bulk?atomic=true', {
      method: 'POST',
      json: {
        items: [
          { code: 'A-1', name: 'One', country: 'DE' },
          { code: 'A-2', name: 'Two', country: 'DE' },
          { code: 'BASE', name: 'Dup', country: 'DE' },
        ],
      },
    });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = await res.json();
    expect(problem.detail).toMatch(/Item 2/);
    expect(await count('/api/v1/customers')).toBe(before);
    expect((await (await svc.call('/api/v1/customers?sort=code&page_size=100')).json()).data.map((c: { code: string }) => c.code)).not.toContain('A-1');

    const ok = await svc.call('/api/v1/customers/$bulk?atomic=true', {
      method: 'POST',
      json: {
        items: [
          { code: 'A-1', name: 'One', country: 'DE' },
          { code: 'A-2', name: 'Two', country: 'DE' },
        ],
      },
    });
    expect(ok.status).toBe(200);
    expect(await count('/api/v1/customers')).toBe(before + 2);
  });

  it('atomic bulk order creation is all-or-nothing, including the lines', async () => {
    const before = await count('/api/v1/orders');
    const order = (n: number, product = productId) => ({ order_no: `ATOM-${n}`, customer_id: customerId, lines: [{ product_id: product, quantity: n }] });
    const failed = await svc.call('/api/v1/orders/$bulk?atomic=true', { method: 'POST', json: { items: [order(1), order(2), order(3, 999_999)] } });
    expect(failed.status).toBe(400);
    expect((await failed.json()).detail).toMatch(/Item 2 failed .*product/);
    expect(await count('/api/v1/orders')).toBe(before);
    const done = await svc.call('/api/v1/orders/$bulk?atomic=true', { method: 'POST', json: { items: [order(1), order(2)] } });
    expect(done.status).toBe(200);
    const created = (await done.json()).results.map((r: { data: { id: number; lines: unknown[] } }) => r.data);
    expect(created.map((o: { lines: unknown[] }) => o.lines.length)).toEqual([1, 1]);
    expect(await count('/api/v1/orders')).toBe(before + 2);
  });

  it('bulk update applies patches with optional versions: 207 for a stale version and a missing id, atomic rolls back', async () => {
    const ids: number[] = (
      await (
        await svc.call('/api/v1/products/$bulk', {
          method: 'POST',
          json: { items: ['U-1', 'U-2'].map((sku) => ({ sku, name: sku, category: 'bulk', unit_cost_cents: 1, unit_price_cents: 2 })) },
        })
      ).json()
    ).results.map((r: { data: { id: number } }) => r.data.id);
    const partial = await svc.call('/api/v1/products/$bulk', {
      method: 'PATCH',
      json: {
        items: [
          { id: ids[0], version: 1, patch: { name: 'U-1 renamed' } },
          { id: ids[1], version: 7, patch: { name: 'lost' } },
          { id: 999_999, patch: { name: 'ghost' } },
        ],
      },
    });
    expect(partial.status).toBe(207);
    const body = await partial.json();
    expect(body.results.map((r: { status: number }) => r.status)).toEqual([200, 409, 404]);
    expect(body.results[0].data).toMatchObject({ name: 'U-1 renamed', version: 2 });
    expect(body.results[1].error.code).toBe('version_conflict');

    const atomic = await svc.call('/api/v1/products/$bulk?atomic=true', {
      method: 'PATCH',
      json: {
        items: [
          { id: ids[1], patch: { name: 'applied?' } },
          { id: 999_999, patch: { name: 'ghost' } },
        ],
      },
    });
    expect(atomic.status).toBe(404);
    expect((await (await svc.call(`/api/v1/products/${ids[1]}`)).json()).name).toBe('U-2');

    const removed = await svc.call('/api/v1/products/$bulk', {
      method: 'DELETE',
      json: { items: [{ id: ids[0] }, { id: ids[1], version: 1 }, { id: 999_999 }] },
    });
    expect(removed.status).toBe(207);
    expect((await removed.json()).results.map((r: { status: number }) => r.status)).toEqual([200, 200, 404]);
    expect((await svc.call(`/api/v1/products/${ids[0]}`)).status).toBe(404);
  });

  it('rejects bulk bodies that are empty, too large or invalid with 400, changing nothing', async () => {
    const before = await count('/api/v1/customers');
    for (const items of [
      [],
      Array.from({ length: 1001 }, (_, i) => ({ code: `X-${i}`, name: 'n', country: 'DE' })),
      [{ code: 'OK-1', name: 'n', country: 'germany' }],
    ]) {
      const res = await svc.call('/api/v1/customers/$bulk', { method: 'POST', json: { items } });
      expect(res.status).toBe(400);
    }
    expect(
      (await svc.call('/api/v1/customers/$bulk?atomic=maybe', { method: 'POST', json: { items: [{ code: 'OK-2', name: 'n', country: 'DE' }] } })).status,
    ).toBe(400);
    expect(await count('/api/v1/customers')).toBe(before);
  });

  it('a replayed Idempotency-Key on POST /orders returns the stored response and creates one order', async () => {
    const before = await count('/api/v1/orders');
    const key = `order-${dialect}-${Date.now()}`;
    const body = { customer_id: customerId, lines: [{ product_id: productId, quantity: 2 }] };
    const first = await svc.call('/api/v1/orders', { method: 'POST', json: body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    const created = await first.json();
    const replay = await svc.call('/api/v1/orders', { method: 'POST', json: body, headers: { 'idempotency-key': key } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await replay.json()).id).toBe(created.id);
    expect(await count('/api/v1/orders')).toBe(before + 1);
    const reused = await svc.call('/api/v1/orders', { method: 'POST', json: { ...body, notes: 'different' }, headers: { 'idempotency-key': key } });
    expect(reused.status).toBe(422);
    expect(await count('/api/v1/orders')).toBe(before + 1);
  });

  it('$batch runs real routes in dependsOn order and skips dependants of a failure', async () => {
    const res = await svc.call('/api/v1/$batch', {
      method: 'POST',
      json: {
        requests: [
          { id: 'customer', method: 'POST', url: '/customers', body: { code: 'BATCH-1', name: 'Batch customer', country: 'NL' } },
          { id: 'list', method: 'GET', url: '/customers?sort=code&order=desc&page_size=100', dependsOn: ['customer'] },
          { id: 'bad', method: 'POST', url: '/customers', body: { code: 'BATCH-1', name: 'Duplicate', country: 'NL' }, dependsOn: ['customer'] },
          { id: 'never', method: 'GET', url: '/customers?page_size=1', dependsOn: ['bad'] },
        ],
      },
    });
    expect(res.status).toBe(200);
    const byId = Object.fromEntries((await res.json()).responses.map((r: { id: string }) => [r.id, r]));
    expect(byId.customer.status).toBe(201);
    expect(byId.list.status).toBe(200);
    expect(byId.list.body.data.map((c: { code: string }) => c.code)).toContain('BATCH-1');
    expect(byId.bad.status).toBe(409);
    expect(byId.never.status).toBe(424);
  });
});
