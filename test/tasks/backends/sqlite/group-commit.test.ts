// The one timing difference from Redis that the SQLite backend keeps on purpose (docs/tasks.md,
// "Deliberate differences"): writes issued in one event-loop turn commit together, so jobs added in
// one turn become claimable together, where Redis applies the adds one by one as they arrive.
import type { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { sqliteEnv, uniqueName } from './env.ts';

describe('sqlite backend group commit', () => {
  let env: ReturnType<typeof sqliteEnv> | undefined;
  afterEach(async () => {
    await env?.close();
    env = undefined;
  });

  it('makes jobs added in one turn claimable together: a worker takes them all before it starts the first', async () => {
    env = sqliteEnv();
    const name = uniqueName('group');
    const queue = env.queue(name);
    const trace: string[] = [];
    const worker = env.worker(
      name,
      async (job: Job) => {
        trace.push(`start ${job.id}`);
      },
      { concurrency: 5 },
    );
    worker.on('active', (job: Job) => trace.push(`active ${job.id}`));
    await worker.waitUntilReady();
    const finished = new Promise<void>((resolve) => {
      let n = 0;
      worker.on('completed', () => {
        if (++n === 5) resolve();
      });
    });
    const jobs = await Promise.all([1, 2, 3, 4, 5].map((i) => queue.add('j', { i })));
    await finished;
    const ids = jobs.map((job) => job.id);
    // All five are announced before any runs: the adds were one commit, and BullMQ's worker fills
    // its concurrency before it starts processing. (On Redis the claims race the adds one by one.)
    expect(trace.slice(0, 5)).toEqual(ids.map((id) => `active ${id}`));
    expect(trace.slice(5).sort()).toEqual(ids.map((id) => `start ${id}`).sort());
  });
});
