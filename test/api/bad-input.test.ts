import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestResponse, type TestService } from '../support/runtime.ts';

/** Every kind of bad input gets a 4xx problem+json naming what is wrong, and changes nothing. */
describe.each(DIALECTS)('bad input and auth (%s)', (dialect) => {
  let svc: TestService;
  let readKey: string;
  beforeAll(async () => {
    svc = await startTestService(dialect);
    readKey = (await svc.runtime.keys.create({ name: 'reader', scopes: ['read'] })).key;
    await svc.call('/api/v1/customers', { method: 'POST', json: { code: 'KEEP', name: 'Keep me', country: 'FR' } });
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  const countCustomers = async () => (await (await svc.call('/api/v1/customers')).json()).total as number;

  async function expectProblem(res: TestResponse, status: number, detail?: RegExp) {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = await res.json();
    expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String), request_id: expect.any(String) });
    if (detail) expect(body.detail).toMatch(detail);
    return body;
  }

  it.each([
    ['unknown field', { code: 'X1', name: 'n', country: 'DE', is_admin: true }, /is_admin/],
    ['wrong type', { code: 'X2', name: 'n', country: 'DE', credit_limit_cents: '100' }, /credit_limit_cents/],
    ['missing field', { code: 'X3', country: 'DE' }, /name/],
    ['pattern violation', { code: 'X4', name: 'n', country: 'germany' }, /country/],
    ['negative money', { code: 'X5', name: 'n', country: 'DE', credit_limit_cents: -1 }, /credit_limit_cents/],
    ['prototype pollution attempt', JSON.parse('{"code":"X6","name":"n","country":"DE","__proto__":{"admin":true}}'), /./],
  ])('rejects a body with %s', async (_name, body, detail) => {
    const before = await countCustomers();
    const problem = await expectProblem(await svc.call('/api/v1/customers', { method: 'POST', json: body }), 400, detail);
    expect(problem.errors?.length ?? 1).toBeGreaterThan(0);
    expect(await countCustomers()).toBe(before);
  });

  it('rejects malformed JSON, a wrong content type and an oversized body', async () => {
    const before = await countCustomers();
    await expectProblem(
      await svc.call('/api/v1/customers', { method: 'POST', body: '{"code": "X', headers: { 'content-type': 'application/json' } }),
      400,
      /JSON/,
    );
    await expectProblem(
      await svc.call('/api/v1/customers', { method: 'POST', body: 'code=X', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
    );
    const huge = JSON.stringify({ code: 'BIG', name: 'x'.repeat(2 * 1024 * 1024), country: 'DE' });
    await expectProblem(await svc.call('/api/v1/customers', { method: 'POST', body: huge, headers: { 'content-type': 'application/json' } }), 413);
    expect(await countCustomers()).toBe(before);
  });

  it('rejects an order whose lines are invalid, atomically', async () => {
    const list = await (await svc.call('/api/v1/customers')).json();
    const customerId = list.data[0].id;
    const before = (await (await svc.call('/api/v1/orders')).json()).total;
    const problem = await expectProblem(
      await svc.call('/api/v1/orders', { method: 'POST', json: { customer_id: customerId, lines: [{ product_id: 999999, quantity: 1 }] } }),
      400,
      /product/,
    );
    expect(problem.errors[0].field).toBe('body/lines/0/product_id');
    await expectProblem(
      await svc.call('/api/v1/orders', { method: 'POST', json: { customer_id: 999999, lines: [{ product_id: 1, quantity: 1 }] } }),
      400,
      /Customer/,
    );
    await expectProblem(await svc.call('/api/v1/orders', { method: 'POST', json: { customer_id: customerId, lines: [] } }), 400, /lines/);
    expect((await (await svc.call('/api/v1/orders')).json()).total).toBe(before);
  });

  it('rejects bad ids, query parameters and unknown routes', async () => {
    await expectProblem(await svc.call('/api/v1/customers/abc'), 400, /id/);
    await expectProblem(await svc.call('/api/v1/customers/0'), 400);
    await expectProblem(await svc.call('/api/v1/customers/99999'), 404);
    await expectProblem(await svc.call('/api/v1/customers?page_size=10000'), 400, /page_size/);
    await expectProblem(await svc.call('/api/v1/customers?sort=password'), 400, /sort/);
    await expectProblem(await svc.call('/api/v1/nothing-here'), 404);
  });

  it('needs a key: 401 without or with a bad one, 403 without the scope', async () => {
    const before = await countCustomers();
    const missing = await svc.call('/api/v1/customers', { key: null });
    await expectProblem(missing, 401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await expectProblem(await svc.call('/api/v1/customers', { key: 'ask_not-a-real-key' }), 401, /unknown/);
    await expectProblem(await svc.call('/api/v1/customers', { headers: { authorization: 'Basic YWRtaW46YWRtaW4xMjM=' }, key: null }), 401);
    await expectProblem(await svc.call('/api/v1/customers', { method: 'POST', key: null, json: { code: 'NOPE', name: 'n', country: 'DE' } }), 401);
    expect((await svc.call('/api/v1/customers', { key: readKey })).status).toBe(200);
    await expectProblem(await svc.call('/api/v1/customers', { method: 'POST', key: readKey, json: { code: 'NOPE', name: 'n', country: 'DE' } }), 403, /write/);
    await expectProblem(await svc.call('/admin/keys', { key: readKey }), 403, /admin/);
    expect((await svc.call('/admin/keys')).status).toBe(200);
    expect(await countCustomers()).toBe(before);
  });

  it('stops honouring a revoked key', async () => {
    const { key, info } = await svc.runtime.keys.create({ name: 'temp', scopes: ['read'] });
    expect((await svc.call('/api/v1/customers', { key })).status).toBe(200);
    await svc.runtime.keys.revoke(info.id);
    await expectProblem(await svc.call('/api/v1/customers', { key }), 401);
  });
});
