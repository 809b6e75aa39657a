import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_REDIS_URL, deleteKeysMatching } from '../support/redis.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

describe('sign-in rate limit shared through Redis', () => {
  const prefix = `test-login-${randomUUID()}`;
  let a: TestService;
  let b: TestService;
  beforeAll(async () => {
    a = await startTestService('sqlite', { REDIS_URL: SHARED_REDIS_URL, AI_STACK_REDIS_PREFIX: prefix });
    b = await startTestService('sqlite', { REDIS_URL: SHARED_REDIS_URL, AI_STACK_REDIS_PREFIX: prefix });
  });
  afterAll(async () => {
    await a?.cleanup();
    await b?.cleanup();
    await deleteKeysMatching(SHARED_REDIS_URL, `${prefix}*`);
  });

  it("counts one address's attempts on every node together", async () => {
    const attempt = (svc: TestService, i: number) =>
      svc.call('/api/v1/auth/login', { method: 'POST', key: null, json: { username: `u${i}`, password: 'some password here' } });
    for (let i = 0; i < 10; i++) expect((await attempt(a, i)).status).toBe(401);
    for (let i = 10; i < 20; i++) expect((await attempt(b, i)).status).toBe(401);
    expect((await attempt(a, 20)).status).toBe(429);
    expect((await attempt(b, 21)).status).toBe(429);
  });
});
