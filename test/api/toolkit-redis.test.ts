import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/runtime.ts';
import { deleteKeysMatching } from '../support/redis.ts';

/**
 * The same resource routes on a runtime with REDIS_URL: the response cache goes through the cache
 * module's L1 + Redis tiers, idempotency records and rate limits live in Redis (own key prefix).
 */
describe('toolkit on resource routes with Redis (postgres)', () => {
  const prefix = `test-api-toolkit-${randomBytes(4).toString('hex')}`;
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('postgres', { REDIS_URL: 'redis://127.0.0.1:6379', AI_STACK_REDIS_PREFIX: prefix });
  });
  afterAll(async () => {
    const redis = svc.runtime.cache.raw;
    if (redis) {
      // Only this test's keys: the Redis server is shared.
      for (const pattern of [`${prefix}*`, `*${prefix}*`]) await deleteKeysMatching(redis, pattern);
    }
    await svc.cleanup();
  });

  it('a cached list is purged by a create, and a replayed Idempotency-Key creates one order', async () => {
    expect(svc.runtime.cache.raw).toBeTruthy();
    const customer = await (await svc.call('/api/v1/customers', { method: 'POST', json: { code: 'R-1', name: 'Redis customer', country: 'DE' } })).json();
    const product = await (
      await svc.call('/api/v1/products', { method: 'POST', json: { sku: 'R-P', name: 'Widget', category: 'tools', unit_cost_cents: 1, unit_price_cents: 2 } })
    ).json();

    const url = '/api/v1/orders?page_size=50';
    const first = await svc.call(url);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.headers.get('ratelimit')).toMatch(/^"default";r=\d+;t=\d+$/);
    expect((await svc.call(url)).headers.get('x-cache')).toBe('HIT');

    const body = { customer_id: customer.id, lines: [{ product_id: product.id, quantity: 3 }] };
    const headers = { 'idempotency-key': `${prefix}-order` };
    const created = await svc.call('/api/v1/orders', { method: 'POST', json: body, headers });
    expect(created.status).toBe(201);
    const replay = await svc.call('/api/v1/orders', { method: 'POST', json: body, headers });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');

    const after = await svc.call(url);
    expect(after.headers.get('x-cache')).toBe('MISS');
    const list = await after.json();
    expect(list.total).toBe(1);
    expect(list.data[0].id).toBe((await created.json()).id);
  });
});
