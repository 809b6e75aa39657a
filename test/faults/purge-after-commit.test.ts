import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ThrowawayRedis } from '../support/redis.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';

/**
 * After a commit, the answer is the commit's: a response-cache purge that fails because Redis went away is
 * logged and retried, never turned into a 503 that invites a retry creating a duplicate.
 */
describe('a committed write with Redis down', () => {
  let redis: ThrowawayRedis;
  let svc: TestService;
  beforeAll(async () => {
    redis = await ThrowawayRedis.start();
    svc = await startTestService('sqlite', { REDIS_URL: redis.url, AI_STACK_RATE_LIMIT_ON_REDIS_ERROR: 'open' });
  });
  afterAll(async () => {
    await svc?.cleanup();
    await redis?.stop();
  });

  it('answers 201 for the created row, with and without an Idempotency-Key, and the list shows it', async () => {
    const before = await svc.call('/api/v1/customers?page_size=100');
    expect(before.status).toBe(200);
    expect((await svc.call('/api/v1/customers?page_size=100')).headers.get('x-cache')).toBe('HIT');
    await redis.stop();

    const plain = await svc.call('/api/v1/customers', { method: 'POST', json: { code: 'DOWN-1', name: 'While Redis is down', country: 'DE' } });
    expect(plain.status).toBe(201);
    const keyed = await svc.call('/api/v1/customers', {
      method: 'POST',
      json: { code: 'DOWN-2', name: 'With a key', country: 'DE' },
      headers: { 'idempotency-key': 'down-2' },
    });
    expect([201, 503]).toContain(keyed.status);
    const codes = (await (await svc.call('/api/v1/customers?page_size=100')).json()).data.map((c: { code: string }) => c.code);
    expect(codes).toContain('DOWN-1');
    if (keyed.status === 201) expect(codes).toContain('DOWN-2');
    else expect(codes).not.toContain('DOWN-2');
  });

  it('with an Idempotency-Key whose record Redis keeps while the purge fails: 201, replayed once, purge caught up later', async () => {
    await redis.start();
    const admin = new Redis(redis.url);
    const svc2 = await startTestService('sqlite', { REDIS_URL: redis.url, AI_STACK_REDIS_PREFIX: 'pf' });
    try {
      await svc2.call('/api/v1/customers?page_size=100');
      expect((await svc2.call('/api/v1/customers?page_size=100')).headers.get('x-cache')).toBe('HIT');
      // Idempotency records and rate limits still work; every cache key (entries, tag index) is refused: the purge fails.
      await admin.call('ACL', 'SETUSER', 'default', 'resetkeys', '~pf:idem:*', '~pf:rl:*');
      const init = { method: 'POST', json: { code: 'SLOW-1', name: 'Purge fails', country: 'DE' }, headers: { 'idempotency-key': 'slow-1' } };
      const created = await svc2.call('/api/v1/customers', init);
      expect(created.status).toBe(201);
      const replay = await svc2.call('/api/v1/customers', init);
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      const list = await svc2.call('/api/v1/customers?page_size=100');
      expect(list.headers.get('x-cache')).toBe('BYPASS');
      expect((await list.json()).data.filter((c: { code: string }) => c.code === 'SLOW-1')).toHaveLength(1);

      await admin.call('ACL', 'SETUSER', 'default', 'resetkeys', '~*');
      await eventually(
        async () => (await svc2.call('/api/v1/customers?page_size=100')).headers.get('x-cache') === 'MISS',
        20_000,
        'the owed purge to be retried',
      );
      const cached = await svc2.call('/api/v1/customers?page_size=100');
      expect(cached.headers.get('x-cache')).toBe('HIT');
      expect((await cached.json()).data.map((c: { code: string }) => c.code)).toContain('SLOW-1');
    } finally {
      await svc2.cleanup();
      admin.disconnect();
    }
  });
});
