import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/runtime.ts';

interface SlowQueriesBody {
  enabled: boolean;
  thresholdMs: number;
  data: { query: string; tables: string[]; calls: number; sampleParameters: unknown[] }[];
}

describe('slow-query log settings of the running service', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('sqlite', { AI_STACK_SLOW_QUERY_MS: '0', AI_STACK_SLOW_QUERY_PARAMETERS: 'customers' });
  });
  afterAll(async () => svc.cleanup());

  it('uses the configured threshold and shows parameters only of allow-listed tables', async () => {
    const created = await svc.call('/api/v1/customers', {
      method: 'POST',
      json: { code: 'SQ-1', name: 'Visible Name', country: 'DE', segment: 'smb', credit_limit_cents: 0, payment_terms_days: 30 },
    });
    expect(created.status).toBe(201);
    const body = (await (await svc.call('/admin/db/slow-queries?limit=1000')).json()) as SlowQueriesBody;
    expect(body).toMatchObject({ enabled: true, thresholdMs: 0 });
    const insert = body.data.find((s) => s.query.startsWith('insert into "customers"'));
    expect(insert?.sampleParameters).toContain('Visible Name');
    // API keys are looked up by hash on every request: never allow-listed, so redacted to their type.
    const keyLookup = body.data.find((s) => s.tables.includes('api_keys') && s.query.startsWith('select'));
    expect(keyLookup?.calls).toBeGreaterThan(0);
    expect(keyLookup?.sampleParameters.every((p) => typeof p === 'string' && /^<\w+(\(\d+\))?>$/.test(p))).toBe(true);
    expect((await svc.call('/admin/db/slow-queries', { key: null })).status).toBe(401);
  });
});
