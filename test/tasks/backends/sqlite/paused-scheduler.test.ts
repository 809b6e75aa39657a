// A difference from BullMQ 6 on Redis that the SQLite backend keeps on purpose (docs/tasks.md,
// "Deliberate differences"): re-defining a job scheduler replaces its pending run also while the
// queue is paused. On Redis, BullMQ 6's upsert looks for a waiting run in the `paused` list that
// BullMQ 6 no longer fills, so in a paused queue the old run stays queued next to the new one.
import type { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { redisEnv, sqliteEnv, uniqueName, type QueueEnv } from './env.ts';

/** Pauses the queue, releases the scheduler's first run into wait, then re-defines the schedule. */
async function redefineWhilePaused(queue: Queue): Promise<{ oldRun: string; waiting: string[]; delayed: string[] }> {
  await queue.pause();
  await queue.upsertJobScheduler('report', { pattern: '0 0 1 1 *' }, { name: 'report' });
  const [first] = await queue.getDelayed();
  await first!.promote();
  expect(await queue.getJobState(first!.id!)).toBe('waiting');
  await queue.upsertJobScheduler('report', { pattern: '0 0 1 7 *' }, { name: 'report' });
  const ids = async (jobs: Promise<{ id?: string }[]>): Promise<string[]> => (await jobs).map((job) => job.id!);
  return { oldRun: first!.id!, waiting: await ids(queue.getWaiting()), delayed: await ids(queue.getDelayed()) };
}

describe('job scheduler re-defined in a paused queue', () => {
  let env: QueueEnv | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('sqlite: the waiting run is replaced, as in a running queue; only the new schedule is pending', async () => {
    env = sqliteEnv();
    const queue = env.queue(uniqueName('paused-sched'));
    const { oldRun, waiting, delayed } = await redefineWhilePaused(queue);
    expect(waiting).toEqual([]);
    expect(delayed).toHaveLength(1);
    expect(delayed[0]).not.toBe(oldRun);
    expect(await queue.getJob(oldRun)).toBeUndefined();
  });

  it('redis (BullMQ 6.7.0): the old run stays waiting beside the new schedule', async () => {
    env = redisEnv();
    const queue = env.queue(uniqueName('paused-sched'));
    const { oldRun, waiting, delayed } = await redefineWhilePaused(queue);
    expect(waiting).toEqual([oldRun]);
    expect(delayed).toHaveLength(1);
    expect(delayed[0]).not.toBe(oldRun);
  });
});
