import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Schedules } from '../../src/tasks/index.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';

const ID = 'sync.cleanup_cache.every-10m';
const BOARD = `/admin/queues/api/queues/sync/job-schedulers/${encodeURIComponent(ID)}`;

/** A Beat schedule deleted in Bull Board stays deleted: Beat's next resync must not silently bring it back. */
describe('Beat schedules in Bull Board', () => {
  let svc: TestService;
  const boardSchedulers = async (): Promise<string[]> => {
    const body = await (await svc.call('/admin/queues/api/job-schedulers')).json();
    return JSON.stringify(body).includes(ID) ? [ID] : [];
  };
  beforeAll(async () => {
    svc = await startTestService('sqlite');
    await svc.runtime.startBackground();
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  it('a deletion in Bull Board persists across a Beat resync and shows as disabled', async () => {
    await eventually(async () => (await boardSchedulers()).length === 1, 20_000, 'Beat to create the scheduler');
    const removed = await svc.call(`${BOARD}/remove`, { method: 'PUT' });
    expect(removed.status).toBe(204);
    // What Beat does every resync (every 60 s): make the job schedulers match the schedules.
    await new Schedules(svc.runtime.tasks.system, svc.runtime.tasks.schedules).sync();
    expect(await boardSchedulers()).toEqual([]);
    const listed = await (await svc.call('/admin/tasks/schedules')).json();
    expect(listed.find((s: { id: string }) => s.id === ID)).toMatchObject({ enabled: false, source: 'edited' });
  });

  it('an edit in Bull Board of a Beat schedule persists too, and a bad one is refused with 400', async () => {
    const edited = await svc.call(BOARD, { method: 'PATCH', json: { every: 120_000 } });
    expect(edited.status).toBe(204);
    await new Schedules(svc.runtime.tasks.system, svc.runtime.tasks.schedules).sync();
    const listed = await (await svc.call('/admin/tasks/schedules')).json();
    expect(listed.find((s: { id: string }) => s.id === ID)).toMatchObject({ every: 120_000, source: 'edited' });
    expect(await boardSchedulers()).toEqual([ID]);
    expect((await svc.call(BOARD, { method: 'PATCH', json: { pattern: 'not a cron' } })).status).toBe(400);
  });
});
