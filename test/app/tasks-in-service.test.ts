import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysMatching, SHARED_REDIS_URL } from '../support/redis.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

/** The service as `ai-stack start` runs it: workers and scheduler in-process, monitored under /admin. */
describe.each([
  ['embedded SQLite queue', {}],
  ['Redis', { REDIS_URL: 'redis://127.0.0.1:6379', AI_STACK_REDIS_PREFIX: `t-${randomBytes(4).toString('hex')}` }],
] as const)('tasks inside the service (%s)', (_name, env) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('sqlite', env);
    await svc.runtime.startBackground();
  });
  afterAll(async () => {
    await svc.cleanup();
    if ('AI_STACK_REDIS_PREFIX' in env) await deleteKeysMatching(SHARED_REDIS_URL, `${env.AI_STACK_REDIS_PREFIX}*`);
  });

  it('runs sync.cleanup_cache against the real cache and returns its report', async () => {
    await svc.runtime.cache.set('short-lived', 1, { ttl: 1 });
    await new Promise((r) => setTimeout(r, 20));
    const handle = await svc.runtime.tasks.system.send('sync.cleanup_cache', {});
    const result = (await handle.get({ timeout: 20_000 })) as { l1Expired: number; tagIndexEntriesRemoved: number };
    expect(result).toEqual({ l1Expired: expect.any(Number), tagIndexEntriesRemoved: expect.any(Number) });
    expect(await svc.runtime.cache.has('short-lived')).toBe(false);
    expect(await handle.state()).toBe('SUCCESS');
  });

  it('shows queues and the job in the monitor API and Bull Board, behind admin auth', async () => {
    const queues = await (await svc.call('/admin/tasks/queues')).json();
    expect(queues.map((q: { name: string }) => q.name)).toEqual(expect.arrayContaining(['documents', 'reports', 'emails', 'sync']));
    const board = await svc.call('/admin/queues');
    expect(board.status).toBe(200);
    expect(await board.text()).toMatch(/<html/i);
    const boardQueues = await (await svc.call('/admin/queues/api/queues?activeQueue=sync&status=completed&page=1')).json();
    const sync = boardQueues.queues.find((q: { name: string }) => q.name.endsWith('sync'));
    expect(sync.counts.completed).toBeGreaterThanOrEqual(1);
    expect((await svc.call('/admin/queues', { key: null })).status).toBe(401);
    const schedules = await (await svc.call('/admin/tasks/schedules')).json();
    expect(JSON.stringify(schedules)).toContain('sync.cleanup_cache');
  });

  it('reports Redis in /readyz only when it is configured', async () => {
    const ready = await (await svc.call('/readyz', { key: null })).json();
    expect(Object.keys(ready.checks).sort()).toEqual('REDIS_URL' in env ? ['database', 'disk', 'redis'] : ['database', 'disk']);
  });
});
