import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteEnv, uniqueName, until } from './env.ts';

/** Drives Bull Board's own BullMQ adapter (what the dashboard calls) over a SQLite-backed queue. */
describe('Bull Board over the sqlite backend', () => {
  let env: ReturnType<typeof sqliteEnv>;
  beforeEach(() => {
    env = sqliteEnv();
  });
  afterEach(async () => {
    await env.close();
  });

  it('serves counts, job lists, a job, logs, workers, metrics, schedulers and actions', async () => {
    const name = uniqueName('board');
    const queue = env.queue(name);
    const adapter = new BullMQAdapter(queue);
    await queue.upsertJobScheduler('nightly', { pattern: '0 3 * * *' }, { name: 'report' });
    const ok = await queue.add('ok', { a: 1 });
    const bad = await queue.add('bad', { a: 2 });
    const later = await queue.add('later', {}, { delay: 60_000 });
    const worker = env.worker(
      name,
      async (job) => {
        await job.log(`ran ${job.name}`);
        if (job.name === 'bad') throw new Error('nope');
        return 'fine';
      },
      { metrics: { maxDataPoints: 60 }, name: 'board-worker' },
    );
    await until(async () => (await queue.getJobCounts('completed', 'failed')).failed === 1 && (await ok.getState()) === 'completed');

    const counts = await adapter.getJobCounts();
    expect(counts).toMatchObject({ completed: 1, failed: 1, delayed: 2 });
    const failed = await adapter.getJobs(['failed'], 0, 10);
    expect(failed.map((j) => j.id)).toEqual([bad.id]);
    expect((await adapter.getJob(ok.id!))?.returnvalue).toBe('fine');
    expect(await adapter.getJobLogs(ok.id!)).toEqual(['ran ok']);
    expect((await adapter.getWorkers())?.length).toBeGreaterThanOrEqual(1);
    const metrics = await adapter.getMetrics('completed', 0, -1);
    expect(metrics?.meta.count).toBe(1);
    expect(await adapter.getJobSchedulersCount()).toBe(1);
    expect(await adapter.getRedisInfo()).toBeNull();
    expect(await adapter.getDatastoreStats()).toBeNull();

    await adapter.pause();
    expect(await adapter.isPaused()).toBe(true);
    await adapter.resume();
    await adapter.promoteAll();
    await until(async () => (await later.getState()) === 'completed');
    await adapter.clean('failed', 0);
    expect((await adapter.getJobCounts()).failed).toBe(0);
    await worker.close();
  });
});
