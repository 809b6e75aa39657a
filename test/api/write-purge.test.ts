import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/runtime.ts';

/** Lists are served from the response cache; a write that bypasses the API (a task, a script) must still show up. */
describe('response cache follows writes made outside the API', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('sqlite');
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  it('purges a cached list when a row is written directly through the data layer', async () => {
    await svc.call('/api/v1/customers', { method: 'POST', json: { code: 'API-1', name: 'Via API', country: 'DE' } });
    const first = await (await svc.call('/api/v1/customers?page_size=100')).json();
    const second = await svc.call('/api/v1/customers?page_size=100');
    expect((await second.json()).total).toBe(first.total);

    const stamp = new Date().toISOString();
    await svc.runtime.db.kysely
      .insertInto('customers')
      .values({
        code: 'DIRECT-1',
        name: 'Written by a task',
        email: null,
        country: 'FR',
        city: null,
        segment: 'smb',
        credit_limit_cents: 0,
        payment_terms_days: 30,
        created_at: stamp,
        updated_at: stamp,
      })
      .execute();
    await new Promise((r) => setTimeout(r, 50));

    const after = await (await svc.call('/api/v1/customers?page_size=100')).json();
    expect(after.data.map((c: { code: string }) => c.code)).toContain('DIRECT-1');
  });

  it('keeps the Link header on a response served from the cache', async () => {
    for (let i = 0; i < 3; i++) await svc.call('/api/v1/customers', { method: 'POST', json: { code: `LINK-${i}`, name: 'n', country: 'DE' } });
    const fresh = await svc.call('/api/v1/customers?page_size=1&page=2');
    const cached = await svc.call('/api/v1/customers?page_size=1&page=2');
    expect(fresh.headers.get('link')).toMatch(/rel="next"/);
    expect(cached.headers.get('link')).toBe(fresh.headers.get('link'));
  });
});
