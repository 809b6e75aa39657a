// One suite every task backend must pass (BentoCache's test_suite idea): the Redis backend runs it
// in test/tasks/redis.conformance.test.ts, the SQLite backend in its own test file.
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskBackend } from '../../src/tasks/index.ts';
import {
  TaskArgumentsError,
  TaskFailedError,
  TaskRevokedError,
  TaskTimeoutError,
  UnknownTaskError,
  WorkerRegistry,
  createCleanupCacheTask,
  createTaskSystem,
  startScheduler,
  startWorkers,
} from '../../src/tasks/index.ts';
import { add, double, fatal, flaky, limited, record, runs, sleepy, slow, spin, sum, unique } from '../tasks/fixtures/tasks.ts';
import { runQueueSemantics } from './queue-semantics.ts';
import { runQueueTurns } from './queue-turns.ts';
import { FAST_WORKER, eventually, harness, type Harness } from './tasks-helpers.ts';

export function runTaskConformanceSuite(name: string, makeBackend: () => Promise<TaskBackend>): void {
  describe(`task conformance: ${name}`, () => {
    let h: Harness;
    const open = async (): Promise<Harness> => (h = await harness(makeBackend));
    afterEach(async () => {
      await h?.dispose();
    });

    it('runs a task and serves its result by id, from another system on the same backend', async () => {
      await open();
      await h.workers();
      const handle = await h.system.task(add).delay({ a: 2, b: 3 });
      expect(await handle.get({ timeout: 10_000 })).toBe(5);
      expect(await handle.state()).toBe('SUCCESS');
      expect(await handle.ready()).toBe(true);
      const other = createTaskSystem({ backend: h.backend });
      expect(await other.result(handle.id).get({ timeout: 1_000 })).toBe(5);
      expect((await other.result(handle.id).info())?.startedAt).toBeGreaterThan(0);
      await other.close();
    });

    it('rejects invalid, oversized and hostile arguments at enqueue and enqueues nothing', async () => {
      await open();
      const t = h.system.task(add);
      await expect(t.delay({ a: 1 } as never)).rejects.toBeInstanceOf(TaskArgumentsError);
      await expect(t.delay({ a: 'x', b: 1 } as never)).rejects.toThrow(/invalid arguments for task "test.add": \/a/);
      await expect(t.delay(JSON.parse('{"a":1,"b":2,"__proto__":{"polluted":true}}'))).rejects.toBeInstanceOf(TaskArgumentsError);
      await expect(h.system.task(record).delay({ tag: 'x'.repeat(600_000) })).rejects.toThrow(/more than the/);
      await expect(h.system.send('no.such_task', {})).rejects.toBeInstanceOf(UnknownTaskError);
      expect(() => h.system.task(add).s({ a: 1 } as never)).toThrow(TaskArgumentsError);
      for (const q of h.system.queueNames) {
        const counts = await h.system.queue(q).getJobCounts('waiting', 'delayed', 'prioritized', 'waiting-children');
        expect(Object.values(counts).reduce((x, y) => x + y, 0)).toBe(0);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('retries with backoff, keeps every attempt, and succeeds', async () => {
      await open();
      await h.workers();
      const key = `k${Math.random()}`;
      const handle = await h.system.task(flaky).delay({ key, failTimes: 2 });
      expect(await handle.get({ timeout: 10_000 })).toBe(3);
      const info = await handle.info();
      expect(info?.attempts.map((a) => a.error.name)).toEqual(['FlakyError', 'FlakyError']);
      expect(info?.attempts[0]?.error.stack).toContain('flaky 1');
    });

    it('fails at once on a non-retryable error and on errors outside autoretryFor', async () => {
      await open();
      await h.workers();
      const key = `f${Math.random()}`;
      const handle = await h.system.task(fatal).delay({ key });
      await expect(handle.get({ timeout: 10_000 })).rejects.toBeInstanceOf(TaskFailedError);
      expect(runs.get(key)).toBe(1);
      expect((await handle.info())?.error?.name).toBe('NonRetryableError');
      const other = await h.system.task(flaky).delay({ key: `o${Math.random()}`, failTimes: 5, error: 'other' });
      await expect(other.get({ timeout: 10_000 })).rejects.toThrow(/OtherError/);
      expect((await other.info())?.attempts).toHaveLength(1);
      expect(await other.state()).toBe('FAILURE');
    });

    it('honours countdown and expires', async () => {
      await open();
      await h.workers();
      const later = await h.system.task(add).applyAsync({ a: 1, b: 1 }, { countdown: 300 });
      expect(await later.state()).toBe('PENDING');
      expect(await later.get({ timeout: 10_000 })).toBe(2);
      const expired = await h.system.task(add).applyAsync({ a: 1, b: 1 }, { countdown: 300, expires: 50 });
      await expect(expired.get({ timeout: 10_000 })).rejects.toBeInstanceOf(TaskRevokedError);
      expect((await expired.info())?.error?.name).toBe('TaskExpired');
    });

    it('runs higher priority first and deduplicates identical pending calls', async () => {
      await open();
      const t = h.system.task(record);
      const low = await t.applyAsync({ tag: 'low' }, { priority: 10 });
      const high = await t.applyAsync({ tag: 'high' }, { priority: 1 });
      const u1 = await h.system.task(unique).delay({ k: 'same' });
      const u2 = await h.system.task(unique).delay({ k: 'same' });
      expect(u2.id).toBe(u1.id);
      await h.workers({ queues: ['documents'], concurrency: 1 });
      await low.get({ timeout: 10_000 });
      const [l, hi] = await Promise.all([low.info(), high.info()]);
      expect(hi!.startedAt!).toBeLessThanOrEqual(l!.startedAt!);
      expect(await u1.get({ timeout: 10_000 })).toBe('same');
    });

    it('revokes a waiting task and terminates a running one', async () => {
      await open();
      const waiting = await h.system.task(add).applyAsync({ a: 1, b: 2 }, { countdown: 60_000 });
      await waiting.revoke();
      expect(await waiting.state()).toBe('REVOKED');
      await expect(waiting.get({ timeout: 1_000 })).rejects.toBeInstanceOf(TaskRevokedError);
      await h.workers();
      const running = await h.system.task(slow).delay({ ms: 20_000 });
      await eventually(async () => (await running.state()) === 'STARTED');
      await h.system.result(running.id).revoke({ terminate: true });
      await expect(running.get({ timeout: 10_000 })).rejects.toBeInstanceOf(TaskRevokedError);
      // The worker is free again.
      expect(await (await h.system.task(add).delay({ a: 2, b: 2 })).get({ timeout: 10_000 })).toBe(4);
    });

    it('fires the soft limit signal and enforces the hard limit on a stuck loop', async () => {
      await open();
      await h.workers({ queues: ['sync'] });
      expect(await (await h.system.task(sleepy).delay({ ms: 10_000 })).get({ timeout: 10_000 })).toBe('aborted:TimeLimitExceededError');
      const stuck = await h.system.task(spin).delay({ forever: true });
      await expect(stuck.get({ timeout: 15_000 })).rejects.toThrow(/hard time limit of 300 ms exceeded/);
      expect(await (await h.system.task(spin).delay({ forever: false })).get({ timeout: 15_000 })).toBe('quick');
    });

    it('applies a per-task rate limit across workers', async () => {
      await open();
      await h.workers();
      await h.workers();
      const handles = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => h.system.task(limited).delay({ i })));
      const results = await Promise.all(handles.map((x) => x.get({ timeout: 15_000 })));
      expect(results.map((r) => r.i)).toEqual([0, 1, 2, 3, 4, 5]);
      const windows = new Map<number, number>();
      for (const { startedAt } of results) {
        const w = Math.floor(startedAt / 400);
        windows.set(w, (windows.get(w) ?? 0) + 1);
      }
      expect(Math.max(...windows.values())).toBeLessThanOrEqual(2);
    });

    it('runs chain, group and chord', async () => {
      await open();
      await h.workers();
      const s = h.system;
      const chained = await s.chain(s.task(add).s({ a: 1, b: 2 }), s.task(double).s(), s.task(double).s());
      expect(await chained.get({ timeout: 10_000 })).toBe(12);
      const group = await s.group(s.task(add).s({ a: 1, b: 1 }), s.task(double).s(5));
      expect(await group.get({ timeout: 10_000 })).toEqual([2, 10]);
      const chord = await s.chord([s.task(add).s({ a: 1, b: 1 }), s.task(double).s(4), s.task(add).s({ a: 0, b: 1 })], s.task(sum).s());
      expect(await chord.get({ timeout: 10_000 })).toBe(11);
      const broken = await s.chain(s.task(fatal).s({ key: `c${Math.random()}` }), s.task(double).s());
      await expect(broken.get({ timeout: 10_000 })).rejects.toBeInstanceOf(TaskFailedError);
    });

    it('registers live workers with heartbeats and their running jobs; drops them on close', async () => {
      await open();
      const pool = await h.workers({ queues: ['sync', 'emails'], concurrency: 2 });
      const running = await h.system.task(slow).delay({ ms: 1_500 });
      const registry = new WorkerRegistry(h.backend.store);
      await eventually(async () => (await registry.list()).some((w) => w.id === pool.id && w.active.some((j) => j.id === running.id)));
      const me = (await registry.list()).find((w) => w.id === pool.id)!;
      expect(me.queues).toEqual(['sync', 'emails']);
      expect(me.pid).toBe(process.pid);
      await pool.close({ timeoutMs: 10_000 });
      // Graceful: the running job finished before close resolved.
      expect(await running.state()).toBe('SUCCESS');
      expect((await registry.list()).some((w) => w.id === pool.id)).toBe(false);
    });

    it('get() times out on a task nobody runs', async () => {
      await open();
      const handle = await h.system.task(add).delay({ a: 1, b: 1 });
      await expect(handle.get({ timeout: 200 })).rejects.toBeInstanceOf(TaskTimeoutError);
      expect(await handle.state()).toBe('PENDING');
    });

    it('schedules interval tasks with one leader among schedulers and no duplicate ticks', async () => {
      await open();
      await h.workers();
      const spec = { id: 'tick', task: add.name, args: { a: 1, b: 1 }, every: 300 };
      const [s1, s2] = await Promise.all([
        startScheduler(h.system, { schedules: [spec], leaseMs: 1_000 }),
        startScheduler(h.system, { schedules: [spec], leaseMs: 1_000 }),
      ]);
      expect([s1.isLeader(), s2.isLeader()].filter(Boolean)).toHaveLength(1);
      await eventually(async () => ((await h.system.queue('documents').getJobCounts('completed')).completed ?? 0) >= 3);
      await s1.close();
      await s2.close();
      const done = await h.system.queue('documents').getJobs(['completed'], 0, 100);
      const ids = done.map((j) => j.id);
      expect(new Set(ids).size).toBe(ids.length);
      const list = await s1.schedules.list();
      expect(list.find((x) => x.id === 'tick')?.every).toBe(300);
    });

    it('fires cron schedules in a time zone and fails over to another scheduler when the leader stops', async () => {
      await open();
      await h.workers({ queues: ['documents'] });
      const spec = { id: 'cron-tz', task: add.name, args: { a: 2, b: 2 }, cron: '* * * * * *', tz: 'Asia/Kolkata' };
      const s1 = await startScheduler(h.system, { schedules: [spec], leaseMs: 300 });
      const s2 = await startScheduler(h.system, { schedules: [spec], leaseMs: 300 });
      expect(s1.isLeader()).toBe(true);
      expect(s2.isLeader()).toBe(false);
      await eventually(async () => ((await h.system.queue('documents').getJobCounts('completed')).completed ?? 0) >= 2);
      const [view] = await s1.schedules.list();
      expect(view).toMatchObject({ id: 'cron-tz', tz: 'Asia/Kolkata', source: 'code' });
      expect(view?.next).toBeGreaterThan(0);
      await s1.close();
      await eventually(() => s2.isLeader());
      await s2.close();
    });

    it('rejects malformed schedules', async () => {
      await open();
      await expect(startScheduler(h.system, { schedules: [{ id: 'x', task: add.name, args: { a: 1, b: 1 }, cron: 'not a cron' }] })).rejects.toMatchObject({
        issues: [{ field: 'cron' }],
      });
      await expect(
        startScheduler(h.system, { schedules: [{ id: 'x', task: add.name, args: { a: 1, b: 1 }, cron: '* * * * *', tz: 'Mars/Olympus' }] }),
      ).rejects.toMatchObject({ issues: [{ field: 'tz' }] });
      await expect(startScheduler(h.system, { schedules: [{ id: 'x', task: add.name, args: { a: 'no' }, every: 1000 }] })).rejects.toBeInstanceOf(
        TaskArgumentsError,
      );
    });

    it('runs sync.cleanup_cache against the cache prune() contract', async () => {
      await open();
      let pruned = 0;
      const task = h.system.register(createCleanupCacheTask({ prune: async () => ({ l1Expired: ++pruned, tagIndexEntriesRemoved: 7 }) }));
      await h.workers({ queues: ['sync'] });
      expect(await (await task.delay({})).get({ timeout: 10_000 })).toEqual({ l1Expired: 1, tagIndexEntriesRemoved: 7 });
      await expect(task.delay({ extra: 1 } as never)).rejects.toBeInstanceOf(TaskArgumentsError);
    });

    it('keeps a second worker pool working after the first is closed (no shared state)', async () => {
      await open();
      const p1 = await startWorkers(h.system, { ...FAST_WORKER, queues: ['documents'] });
      await p1.close();
      await h.workers({ queues: ['documents'] });
      expect(await (await h.system.task(add).delay({ a: 3, b: 4 })).get({ timeout: 10_000 })).toBe(7);
    });
  });
  // The BullMQ behaviours under the task layer, on the same backend.
  runQueueSemantics(name, makeBackend);
  runQueueTurns(name, makeBackend);
}
