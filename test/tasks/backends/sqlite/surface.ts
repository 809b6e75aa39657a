import { RateLimitError, WaitingChildrenError, type Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type QueueEnv, uniqueName, until } from './env.ts';

/**
 * The rest of the IQueueBackend surface, driven through BullMQ's public API on every backend:
 * step jobs waiting for children, child links, manual rate limits, lock renewal, waitUntilFinished,
 * dependency paging, dedup keys, scheduler lookup, data updates and event trimming.
 */
export function surfaceScenarios(label: string, makeEnv: () => QueueEnv): void {
  describe(`BullMQ API surface on ${label}`, () => {
    let env: QueueEnv;
    beforeEach(() => {
      env = makeEnv();
    });
    afterEach(async () => {
      await env.close();
    });

    it('lets a step job wait for children it adds itself (moveToWaitingChildren)', async () => {
      const name = uniqueName('steps');
      const queue = env.queue(name);
      const steps: string[] = [];
      env.worker(name, async (job: Job<{ step?: string }>, token) => {
        if (job.name === 'child') return 'child-done';
        if (job.data.step !== 'after') {
          await queue.add('child', {}, { parent: { id: job.id!, queue: job.queueQualifiedName } });
          await job.updateData({ step: 'after' });
          steps.push('before');
          if (await job.moveToWaitingChildren(token!)) throw new WaitingChildrenError();
        }
        steps.push('after');
        return Object.values(await job.getChildrenValues());
      });
      const parent = await queue.add('parent', {});
      await until(async () => (await parent.getState()) === 'completed');
      expect(steps).toEqual(['before', 'after']);
      expect((await queue.getJob(parent.id!))!.returnvalue).toEqual(['child-done']);
    });

    it('detaches a child from its parent and removes unprocessed children', async () => {
      const name = uniqueName('detach');
      const queue = env.queue(name);
      const flow = env.flow();
      const tree = await flow.add({
        name: 'parent',
        queueName: name,
        children: [
          { name: 'a', queueName: name },
          { name: 'b', queueName: name },
        ],
      });
      const [a, b] = tree.children!.map((node) => node.job);
      expect(await a!.removeChildDependency()).toBe(true);
      expect(await tree.job.getDependenciesCount()).toMatchObject({ unprocessed: 1 });
      const page = await queue.getDependencies(tree.job.id!, 'pending', 0, 10);
      expect(page.items.map((item) => item.id)).toEqual([`${b!.queueQualifiedName}:${b!.id}`]);
      await tree.job.removeUnprocessedChildren();
      expect(await queue.getJob(b!.id!)).toBeUndefined();
      expect(await queue.getJob(a!.id!)).toBeDefined();
    });

    it('honours a manual rate limit from inside the processor and queue.rateLimit', async () => {
      const name = uniqueName('manual-limit');
      const queue = env.queue(name);
      let first = true;
      let runs = 0;
      const worker = env.worker(name, async () => {
        runs++;
        if (first) {
          first = false;
          await worker.rateLimit(300);
          throw new RateLimitError();
        }
        return 'done';
      });
      const job = await queue.add('r', {});
      await until(async () => (await job.getState()) === 'completed');
      expect(runs).toBe(2);
      expect((await queue.getJob(job.id!))!.attemptsMade).toBe(1);
      await queue.rateLimit(60_000);
      expect(await queue.getRateLimitTtl()).toBeGreaterThan(0);
      await queue.removeRateLimitKey();
      expect(await queue.getRateLimitTtl()).toBeLessThanOrEqual(0);
    });

    it('renews the lock of a long job so it is not taken for stalled', async () => {
      const name = uniqueName('renew');
      const queue = env.queue(name);
      let runs = 0;
      env.worker(
        name,
        async () => {
          runs++;
          await new Promise((resolve) => setTimeout(resolve, 1_200));
          return 'slow';
        },
        { lockDuration: 400, stalledInterval: 200 },
      );
      const job = await queue.add('slow', {});
      await until(async () => (await job.getState()) === 'completed');
      expect(runs).toBe(1);
      expect((await queue.getJob(job.id!))!.stalledCounter).toBe(0);
    });

    it('resolves waitUntilFinished and serves dedup keys, scheduler lookup and event trimming', async () => {
      const name = uniqueName('misc');
      const queue = env.queue(name);
      const events = await env.events(name);
      env.worker(name, async (job) => `echo ${job.name}`);
      const job = await queue.add('x', {});
      expect(await job.waitUntilFinished(events, 10_000)).toBe('echo x');
      await queue.pause();
      await queue.add('d', {}, { deduplication: { id: 'k' } });
      expect(await queue.getDeduplicationJobId('k')).not.toBeNull();
      expect(await queue.removeDeduplicationKey('k')).toBe(1);
      expect(await queue.getDeduplicationJobId('k')).toBeNull();
      await queue.upsertJobScheduler('hourly', { every: 3_600_000 }, { name: 'h', data: { z: 1 } });
      const scheduler = await queue.getJobScheduler('hourly');
      expect(scheduler).toMatchObject({ key: 'hourly', every: 3_600_000, name: 'h' });
      await queue.trimEvents(0);
    });
    it('answers state probes, log clearing, isMaxed and job-level dedup removal', async () => {
      const name = uniqueName('probes');
      const queue = env.queue(name);
      const job = await queue.add('p', {}, { deduplication: { id: 'probe' } });
      expect(await job.isWaiting()).toBe(true);
      expect(await job.isActive()).toBe(false);
      expect(await job.isCompleted()).toBe(false);
      for (const line of ['a', 'b', 'c']) await job.log(line);
      await job.clearLogs(1);
      expect((await queue.getJobLogs(job.id!)).logs).toEqual(['c']);
      await job.clearLogs();
      expect((await queue.getJobLogs(job.id!)).count).toBe(0);
      await queue.setGlobalConcurrency(1);
      expect(await queue.isMaxed()).toBe(false);
      expect(await job.removeDeduplicationKey()).toBe(true);
      expect(await queue.getDeduplicationJobId('probe')).toBeNull();
    });
  });
}
