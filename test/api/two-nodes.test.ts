import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/app/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { SHARED_REDIS_URL, deleteKeysMatching } from '../support/redis.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';

/** Two service processes' worth of runtime on one PostgreSQL and one Redis, as behind a load balancer. */
describe('two nodes behind one load balancer', () => {
  const prefix = `two-nodes-${randomBytes(4).toString('hex')}`;
  let a: TestService;
  let b: Runtime;
  let bUrl: string;
  const getB = async (path: string) => (await fetch(bUrl + path, { headers: { authorization: `Bearer ${a.adminKey}` } })).json() as Promise<{ total: number }>;

  beforeAll(async () => {
    a = await startTestService('postgres', { REDIS_URL: SHARED_REDIS_URL, AI_STACK_REDIS_PREFIX: prefix });
    b = await createRuntime(a.runtime.config, { logger: silentLogger });
    bUrl = (await b.listen()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await b.stop();
    await a.cleanup();
    await deleteKeysMatching(SHARED_REDIS_URL, `${prefix}*`);
  });

  it('a list read on one node reflects a write on the other, with both caches in the way', async () => {
    expect((await getB('/api/v1/customers?page_size=1')).total).toBe(0);
    for (let i = 1; i <= 3; i++) {
      const created = await a.call('/api/v1/customers', { method: 'POST', json: { code: `N-${i}`, name: `Node ${i}`, country: 'DE' } });
      expect(created.status).toBe(201);
      // The same URL on the other node: its response cache and its query cache both held the old total.
      await eventually(async () => (await getB('/api/v1/customers?page_size=1')).total === i, 3_000, `node B to list ${i} customers`);
      expect((await getB('/api/v1/customers?page_size=1')).total).toBe(i);
    }
  });
});
