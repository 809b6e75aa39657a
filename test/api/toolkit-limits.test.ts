import { parseList } from 'structured-headers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/runtime.ts';

/** Rate limits on the resource routes, with the limit the runtime reads from AI_STACK_RATE_LIMIT_PER_MINUTE. */
describe('toolkit rate limits on resource routes (sqlite)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('sqlite', { AI_STACK_RATE_LIMIT_PER_MINUTE: '5' });
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  it('every list, item and write response carries parseable RateLimit headers, and the sixth request in a minute is a 429', async () => {
    const responses = [
      await svc.call('/api/v1/customers'),
      await svc.call('/api/v1/customers', { method: 'POST', json: { code: 'RL-1', name: 'Limited', country: 'DE' } }),
      await svc.call('/api/v1/customers/1'),
      await svc.call('/api/v1/products?mode=keyset&limit=5'),
      await svc.call('/api/v1/orders/$bulk', { method: 'POST', json: { items: [] } }),
    ];
    const remaining: number[] = [];
    for (const res of responses) {
      expect(res.status).not.toBe(429);
      const policy = parseList(res.headers.get('ratelimit-policy')!);
      expect(policy[0]![1].get('q')).toBe(5);
      const state = parseList(res.headers.get('ratelimit')!);
      remaining.push(state[0]![1].get('r') as number);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);

    const refused = await svc.call('/api/v1/orders');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json()).code).toBe('rate_limited');
  });

  it('keys are limited separately', async () => {
    const other = (await svc.runtime.keys.create({ name: 'other', scopes: ['read'] })).key;
    const res = await svc.call('/api/v1/customers', { key: other });
    expect(res.status).toBe(200);
    expect(parseList(res.headers.get('ratelimit')!)[0]![1].get('r')).toBe(4);
  });
});
