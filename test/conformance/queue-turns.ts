// BullMQ behaviours that depend on *when* a backend answers, shared with BullMQ on Redis. A Redis
// reply arrives on a later turn of the event loop; an embedded backend that answered at once let
// callers overtake work BullMQ had already started (issue 14, found with BullMQ's own suite). Each
// scenario runs on both backends in CI.
import type { Job } from 'bullmq';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TaskBackend } from '../../src/tasks/index.ts';
import { eventually } from '../support/wait.ts';
import { closeWorker, envOn, next, unique, type Env } from './queue-semantics.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function runQueueTurns(name: string, makeBackend: () => Promise<TaskBackend>): void {
  describe(`BullMQ timing shared with Redis: ${name}`, () => {
    let env: Env | undefined;
    const open = async (): Promise<Env> => (env = envOn(await makeBackend(), true));
    afterEach(async () => {
      vi.useRealTimers();
      await env?.close();
      env = undefined;
    });

    it('puts delayed jobs that are due ahead of a job retried at once', async () => {
      const e = await open();
      const q = unique('retry-order');
      const queue = e.queue(q);
      await queue.add('b', {}, { delay: 100 });
      await queue.add('c', {}, { delay: 100 });
      const dueAt = Date.now() + 100; // both are due by then
      const starts: string[] = [];
      e.worker(
        q,
        async (job) => {
          starts.push(job.name);
          if (job.name === 'a' && job.attemptsMade === 0) {
            // b and c fall due while a's first attempt runs; a is then retried without backoff.
            await sleep(Math.max(0, dueAt - Date.now()) + 30);
            throw new Error('once more');
          }
        },
        { concurrency: 1 },
      );
      await queue.add('a', {}, { attempts: 2 });
      await eventually(() => starts.length === 4, 10_000, 'four starts');
      expect(starts).toEqual(['a', 'b', 'c', 'a']);
    });

    it('resolves worker.waitUntilReady() once the worker renews locks', async () => {
      const e = await open();
      const worker = e.worker(unique('ready'), async () => 'ok');
      await worker.waitUntilReady();
      // BullMQ keeps the lock manager private; its tests read it the same way.
      const { lockManager } = worker as unknown as { lockManager: { isRunning(): boolean } };
      expect(lockManager.isRunning()).toBe(true);
      // Closing right after the start is when the fetch loop issues its first blocking read: on a Redis
      // Cluster BullMQ's graceful close can then hang for good (closeWorker says why), so close with force.
      await closeWorker(worker);
      expect(lockManager.isRunning()).toBe(false);
    });

    it('keeps answering while the caller runs on fake timers', async () => {
      const e = await open();
      const q = unique('fake-timers');
      const queue = e.queue(q);
      await queue.waitUntilReady();
      // BullMQ's job-scheduler tests drive time this way; a Redis socket does not care about timers.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'], now: Date.now() });
      const job = await queue.add('j', { n: 1 }, { delay: 60_000 });
      expect(await queue.getJobState(job.id!)).toBe('delayed');
      await queue.promoteJobs();
      expect(await queue.getJobState(job.id!)).toBe('waiting');
      vi.useRealTimers();
    });

    it('lets a job announced as active be cancelled once a query about it has answered', async () => {
      const e = await open();
      const q = unique('cancel');
      const queue = e.queue(q);
      const worker = e.worker(q, async (_job, _token, signal) => {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, 10_000);
          signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new Error('cancelled by the test'));
          });
        });
      });
      const active = next<[Job]>(worker, 'active');
      const failed = next<[Job, Error]>(worker, 'failed');
      const job = await queue.add('j', {}, { attempts: 1 });
      await active;
      expect(await job.getState()).toBe('active');
      expect(worker.cancelJob(job.id!)).toBe(true);
      const [failedJob, error] = await failed;
      expect(failedJob.id).toBe(job.id);
      expect(error.message).toBe('cancelled by the test');
      expect(await queue.getJobState(job.id!)).toBe('failed');
    });
  });
}
