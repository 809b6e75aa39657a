// BullMQ-level behaviours every task backend must share with BullMQ on Redis. Each scenario was
// found where our SQLite IQueueBackend differed from Redis (issue 14, checked with BullMQ's own
// suite); they run here, on both backends, so CI keeps the behaviour without BullMQ's test files.
import { randomUUID } from 'node:crypto';
import { FlowProducer, Queue, QueueEvents, RateLimitError, Worker, type Job, type Processor, type QueueOptions, type WorkerOptions } from 'bullmq';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TaskBackend } from '../../src/tasks/index.ts';
import { eventually } from '../support/wait.ts';

type Closable = { close(): Promise<void> };
type Ctor<T> = new (...args: unknown[]) => T;
// The constructors' generics tie an instance to one backend type; here both run through the same seam.
const QueueCtor = Queue as unknown as Ctor<Queue>;
const WorkerCtor = Worker as unknown as Ctor<Worker>;
const FlowCtor = FlowProducer as unknown as Ctor<FlowProducer>;
const EventsCtor = QueueEvents as unknown as Ctor<QueueEvents>;

/** A promise with its resolver, to hold a processor until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Resolves with the arguments of the next `event` emitted by `emitter`. */
export function next<T extends unknown[] = unknown[]>(emitter: object, event: string): Promise<T> {
  const target = emitter as { once(event: string, fn: (...args: unknown[]) => void): unknown };
  return new Promise((resolve) => {
    target.once(event, (...args: unknown[]) => resolve(args as T));
  });
}

export interface Env {
  queue(name: string, opts?: Partial<QueueOptions>): Queue;
  worker(name: string, processor: Processor | null, opts?: Partial<WorkerOptions>): Worker;
  flow(): FlowProducer;
  events(name: string): Promise<QueueEvents>;
  /** The qualified key BullMQ puts in flow references: `<prefix>:<queue>`. */
  key(name: string): string;
  close(): Promise<void>;
}

export function envOn(backend: TaskBackend, closeBackend: boolean): Env {
  const { factory, connection, prefix } = backend.bullmq;
  const base = { connection, prefix };
  const open: Closable[] = [];
  const names = new Set<string>();
  const track = <T extends Closable>(thing: T): T => {
    open.push(thing);
    return thing;
  };
  return {
    queue: (name, opts = {}) => {
      names.add(name);
      return track(new QueueCtor(name, { ...base, ...opts }, factory));
    },
    worker: (name, processor, opts = {}) => track(new WorkerCtor(name, processor, { ...base, drainDelay: 1, ...opts }, factory)),
    flow: () => track(new FlowCtor({ ...base }, factory)),
    events: async (name) => {
      const events = track(new EventsCtor(name, { ...base, blockingTimeout: 200 }, factory));
      await events.waitUntilReady();
      // A reader started on '$' sees events from its first read on; let that read begin.
      await new Promise((resolve) => setTimeout(resolve, 50));
      return events;
    },
    key: (name) => `${prefix}:${name}`,
    close: async () => {
      const late: string[] = [];
      // Workers close with force: by teardown nothing they run matters, and BullMQ's graceful close can wait
      // forever on a Redis Cluster (see closeWorker). Every step is bounded, so a close that never settles
      // fails the test in seconds instead of hanging the suite, and the rest of the teardown still runs.
      for (const thing of open.reverse()) await within(thing instanceof Worker ? closeWorker(thing) : thing.close(), late, thing.constructor.name);
      for (const name of names) {
        const q = new QueueCtor(name, base, factory);
        await within(q.obliterate({ force: true }), late, `obliterate ${name}`);
        await within(q.close(), late, `Queue ${name}`);
      }
      if (closeBackend) await within(backend.close(), late, 'the backend');
      if (late.length > 0) throw new Error(`teardown: still not closed after ${CLOSE_WITHIN_MS} ms: ${late.join(', ')}`);
    },
  };
}

export const unique = (what: string): string => `${what}-${randomUUID().slice(0, 8)}`;

const CLOSE_WITHIN_MS = 10_000;

/** Waits for `closing` at most CLOSE_WITHIN_MS; a rejection counts as closed, a hang is noted in `late`. */
async function within(closing: Promise<unknown>, late: string[], what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    closing.then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_WITHIN_MS))),
  ]);
  clearTimeout(timer);
  if (!settled) late.push(what);
}

/**
 * Closes a worker whose jobs no longer matter. BullMQ 6.7.0's graceful `Worker.close()` first disconnects the
 * blocking connection and waits for its `end`; on a Redis Cluster, a `BZPOPMIN` the fetch loop issues in that
 * window makes BullMQ's own cluster recovery reconnect the emptied cluster, so `end` never comes and the close
 * never settles (reproduced: disconnect, then `BZPOPMIN` while the status is `disconnecting`). A forced close
 * switches that recovery off before it disconnects.
 */
export function closeWorker(worker: Worker): Promise<void> {
  return worker.close(true);
}

export function runQueueSemantics(name: string, makeBackend: () => Promise<TaskBackend>): void {
  describe(`BullMQ semantics shared with Redis: ${name}`, () => {
    let env: Env | undefined;
    const open = async (): Promise<Env> => (env = envOn(await makeBackend(), true));
    afterEach(async () => {
      vi.useRealTimers();
      await env?.close();
      env = undefined;
    });

    it('fails a job that stalled too often through the next worker, which emits failed (deferred failure)', async () => {
      const e = await open();
      const q = unique('stall');
      const queue = e.queue(q);
      const hung = e.worker(q, () => new Promise(() => undefined), { lockDuration: 300, stalledInterval: 100 });
      const active = next(hung, 'active');
      const job = await queue.add('j', {});
      await active;
      await hung.close(true); // the process "dies": its lock is left to expire
      let ran = false;
      const rescuer = e.worker(
        q,
        async () => {
          ran = true;
        },
        { stalledInterval: 100, maxStalledCount: 0 },
      );
      const [failed, reason] = await next<[Job, Error]>(rescuer, 'failed');
      expect(failed.id).toBe(job.id);
      expect(reason.message).toBe('job stalled more than allowable limit');
      expect(ran).toBe(false);
      expect(await queue.getJobState(job.id!)).toBe('failed');
    });

    it("defers a parent's failure to a worker of its queue when a failParentOnFailure child fails", async () => {
      const e = await open();
      const [pq, cq] = [unique('parent'), unique('child')];
      const parents = e.queue(pq);
      const tree = await e.flow().add({
        name: 'p',
        queueName: pq,
        data: {},
        children: [{ name: 'c', queueName: cq, data: {}, opts: { failParentOnFailure: true } }],
      });
      e.worker(cq, async () => {
        throw new Error('child broke');
      });
      // No worker on the parent's queue yet: the parent waits there, marked, instead of failing in place.
      await eventually(async () => (await parents.getJobState(tree.job.id!)) === 'waiting', 15_000, 'the parent in wait');
      let ran = false;
      const parentWorker = e.worker(pq, async () => {
        ran = true;
      });
      const [failed, reason] = await next<[Job, Error]>(parentWorker, 'failed');
      expect(failed.id).toBe(tree.job.id);
      expect(reason.message).toBe(`child ${e.key(cq)}:${tree.children![0]!.job.id} failed`);
      expect(ran).toBe(false);
    });

    it('lets a parent complete after a continueParentOnFailure child failed, with the failure readable', async () => {
      const e = await open();
      const [pq, cq] = [unique('parent'), unique('child')];
      const done = gate();
      let failures: Record<string, string> = {};
      e.worker(pq, async (job) => {
        failures = await job.getFailedChildrenValues();
        done.open();
        return 'parent done';
      });
      e.worker(cq, async (job) => {
        if (job.name === 'bad') throw new Error('bad child');
        return 'ok';
      });
      const tree = await e.flow().add({
        name: 'p',
        queueName: pq,
        data: {},
        children: [
          { name: 'bad', queueName: cq, data: {}, opts: { continueParentOnFailure: true } },
          { name: 'good', queueName: cq, data: {} },
        ],
      });
      await done.promise;
      const parents = e.queue(pq);
      await eventually(async () => (await parents.getJobState(tree.job.id!)) === 'completed', 15_000, 'the parent completed');
      expect(Object.values(failures)).toEqual(['bad child']);
    });

    it('keeps the newest job deduplicated while the first runs and adds it when that one finishes (keepLastIfActive)', async () => {
      const e = await open();
      const q = unique('dedup');
      const queue = e.queue(q);
      const release = gate();
      const seen: string[] = [];
      const worker = e.worker(q, async (job: Job<{ v: string }>) => {
        seen.push(job.data.v);
        if (job.data.v === 'first') await release.promise;
      });
      const deduplication = { id: 'd1', keepLastIfActive: true };
      const started = next(worker, 'active');
      const first = await queue.add('j', { v: 'first' }, { deduplication });
      await started;
      const second = await queue.add('j', { v: 'second' }, { deduplication });
      const third = await queue.add('j', { v: 'third' }, { deduplication });
      expect([second.id, third.id]).toEqual([first.id, first.id]);
      release.open();
      await eventually(() => seen.length === 2, 15_000, 'the remembered job to run');
      expect(seen).toEqual(['first', 'third']);
      await eventually(async () => (await queue.getCompletedCount()) === 2);
      expect(await queue.getDeduplicationJobId('d1')).toBeNull();
    });

    it('replaces a delayed job deduplicated with replace, and drops a duplicate of a waiting one', async () => {
      const e = await open();
      const queue = e.queue(unique('debounce'));
      const deduplication = { id: 'd2', ttl: 60_000, extend: true, replace: true };
      const first = await queue.add('j', { v: 1 }, { delay: 60_000, deduplication });
      const second = await queue.add('j', { v: 2 }, { delay: 60_000, deduplication });
      expect(second.id).not.toBe(first.id);
      expect(await queue.getJob(first.id!)).toBeUndefined();
      expect((await queue.getJob(second.id!))?.data).toEqual({ v: 2 });
      const simple = await queue.add('j', {}, { deduplication: { id: 'd3' } });
      expect((await queue.add('j', {}, { deduplication: { id: 'd3' } })).id).toBe(simple.id);
      expect(await queue.getJobCountByTypes('delayed', 'waiting')).toBe(2);
    });

    it('counts a start that hit a manual rate limit in attemptsStarted, and not in attemptsMade', async () => {
      const e = await open();
      const q = unique('limit');
      const queue = e.queue(q);
      const starts: number[] = [];
      const worker: Worker = e.worker(q, async (job) => {
        starts.push(job.attemptsStarted);
        if (starts.length === 1) {
          await worker.rateLimit(50);
          throw new RateLimitError();
        }
      });
      const job = await queue.add('j', {});
      await eventually(async () => (await queue.getJobState(job.id!)) === 'completed');
      expect(starts).toEqual([1, 2]);
      const done = await queue.getJob(job.id!);
      expect(done?.attemptsMade).toBe(1);
    });

    it("resets a delayed job's delay to 0 when it is promoted by time", async () => {
      const e = await open();
      const q = unique('delay');
      const queue = e.queue(q);
      const delays: number[] = [];
      e.worker(q, async (job) => {
        delays.push(job.delay);
      });
      const job = await queue.add('j', {}, { delay: 100 });
      await eventually(async () => (await queue.getJobState(job.id!)) === 'completed');
      expect(delays).toEqual([0]);
      expect((await queue.getJob(job.id!))?.delay).toBe(0);
    });

    it("drains a same-queue parent with its last child, and never a job scheduler's next run", async () => {
      const e = await open();
      const q = unique('drain');
      const queue = e.queue(q);
      const tree = await e.flow().add({ name: 'p', queueName: q, data: {}, children: [{ name: 'c', queueName: q, data: {} }] });
      await queue.upsertJobScheduler('new-year', { pattern: '0 0 1 1 *' }, { name: 'tick' });
      await eventually(async () => (await queue.getDelayedCount()) === 1, 15_000, 'the scheduler iteration');
      const [scheduled] = await queue.getDelayed();
      await expect(scheduled!.remove()).rejects.toThrow(/belongs to a job scheduler/);
      await queue.drain(true);
      expect(await queue.getJobState(tree.job.id!)).toBe('unknown');
      expect(await queue.getJobState(tree.children![0]!.job.id!)).toBe('unknown');
      expect((await queue.getDelayed()).map((j) => j.id)).toEqual([scheduled!.id]);
      await queue.clean(0, 0, 'delayed');
      expect(await queue.getDelayedCount()).toBe(1);
    });

    it("removes a job scheduler's delayed next run with a removed event, and lets a run already due go once", async () => {
      const e = await open();
      const q = unique('unschedule');
      const queue = e.queue(q);
      const events = await e.events(q);
      await queue.upsertJobScheduler('yearly', { pattern: '0 0 1 1 *' }, { name: 'tick' });
      const [delayed] = await queue.getDelayed();
      const removed = next<[{ jobId: string; prev: string }]>(events, 'removed');
      await queue.removeJobScheduler('yearly');
      expect((await removed)[0]).toMatchObject({ jobId: delayed!.id, prev: 'delayed' });
      expect(await queue.getDelayedCount()).toBe(0);

      // A run promoted before the scheduler goes is already released work: it stays and runs once.
      await queue.upsertJobScheduler('monthly', { pattern: '0 0 1 * *' }, { name: 'tock' });
      const [due] = await queue.getDelayed();
      await due!.promote();
      await queue.removeJobScheduler('monthly');
      expect(await queue.getJobSchedulersCount()).toBe(0);
      expect(await queue.getJobState(due!.id!)).toBe('waiting');
      const ran: string[] = [];
      e.worker(q, async (job) => {
        ran.push(job.id!);
      });
      await eventually(async () => (await queue.getJobState(due!.id!)) === 'completed', 15_000, 'the released run');
      expect(ran).toEqual([due!.id]);
      expect(await queue.getJobCountByTypes('delayed', 'waiting')).toBe(0);
    });

    it('cleans finished jobs whose time equals the cut-off (<=, not <)', async () => {
      const e = await open();
      const q = unique('clean');
      const queue = e.queue(q);
      e.worker(q, async () => 'x');
      const job = await queue.add('j', {});
      await eventually(async () => (await queue.getJobState(job.id!)) === 'completed');
      const finishedOn = (await queue.getJob(job.id!))!.finishedOn!;
      // Queue.clean cuts at Date.now() - grace: stand the caller's clock on the finishing millisecond.
      vi.useFakeTimers({ toFake: ['Date'], now: finishedOn });
      expect(await queue.clean(0, 10, 'completed')).toEqual([job.id]);
    });

    it('emits drained only once nothing is waiting or running', async () => {
      const e = await open();
      const q = unique('drained');
      const queue = e.queue(q);
      const events = await e.events(q);
      let drained = 0;
      events.on('drained', () => drained++);
      const gates = [gate(), gate(), gate()];
      const completed = (id: string): Promise<unknown> => next(events, `completed:${id}`);
      e.worker(q, async (job: Job<{ i: number }>) => gates[job.data.i]!.promise, { concurrency: 3 });
      const jobs = await queue.addBulk([0, 1, 2].map((i) => ({ name: 'j', data: { i } })));
      await eventually(async () => (await queue.getActiveCount()) === 3, 15_000, 'three active jobs');
      for (const [i, job] of jobs.slice(0, 2).entries()) {
        const done = completed(job.id!);
        gates[i]!.open();
        await done;
      }
      const lastDrained = next(events, 'drained');
      gates[2]!.open();
      await lastDrained;
      // The event stream is ordered: a drained emitted after the first two jobs would have come first.
      expect(drained).toBe(1);
    });

    it('lists two same-named workers of one process as two workers', async () => {
      const e = await open();
      const q = unique('named');
      const queue = e.queue(q);
      const a = e.worker(q, async () => undefined, { name: 'twin' });
      const b = e.worker(q, async () => undefined, { name: 'twin' });
      await Promise.all([a.waitUntilReady(), b.waitUntilReady()]);
      await eventually(async () => (await queue.getWorkers()).length === 2, 15_000, 'two workers listed');
      expect(await queue.getWorkersCount()).toBe(2);
    });

    it("keeps a running job's lock when the wall clock jumps forward", async () => {
      const e = await open();
      const q = unique('clock');
      const queue = e.queue(q);
      const release = gate();
      const worker = e.worker(
        q,
        async () => {
          await release.promise;
          return 'done';
        },
        { lockDuration: 5_000, stalledInterval: 100 },
      );
      const problems: string[] = [];
      worker.on('error', (error) => problems.push(error.message));
      worker.on('stalled', (id) => problems.push(`stalled ${id}`));
      const active = next(worker, 'active');
      const job = await queue.add('j', {});
      await active;
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 10 * 60_000 });
      // Several stalled checks run (every 100 ms of real time) while the clock reads ten minutes on.
      await new Promise((resolve) => setTimeout(resolve, 400));
      const completed = next<[Job]>(worker, 'completed');
      release.open();
      expect((await completed)[0].id).toBe(job.id);
      vi.useRealTimers();
      expect(problems).toEqual([]);
    });

    it('blocks a manual getNextJob until a job arrives', async () => {
      const e = await open();
      const q = unique('manual');
      const queue = e.queue(q);
      const worker = e.worker(q, null, { autorun: false });
      await worker.waitUntilReady();
      expect(await worker.getNextJob('token-1')).toBeUndefined(); // nothing yet: the worker is now drained
      const fetched = worker.getNextJob('token-1');
      setTimeout(() => void queue.add('late', { n: 1 }), 200);
      const job = await fetched;
      expect(job?.name).toBe('late');
      await job.moveToCompleted('ok', 'token-1', false);
    });

    it('links a re-added job id to its new parent, refuses a second parent, and relinks a retried child', async () => {
      const e = await open();
      const q = unique('relink');
      const queue = e.queue(q);
      const child = await queue.add('c', {}, { jobId: 'kid' });
      await queue.add('p1', {}, { jobId: 'p1' });
      await queue.add('p2', {}, { jobId: 'p2' });
      await e
        .flow()
        .add({ name: 'p0', queueName: q, data: {}, opts: { jobId: 'p0' }, children: [{ name: 'c', queueName: q, data: {}, opts: { jobId: 'kid' } }] });
      expect(child.id).toBe('kid');
      await expect(queue.add('c', {}, { jobId: 'kid', parent: { id: 'p1', queue: e.key(q) } })).rejects.toThrow(
        `The parent job ${e.key(q)}:p1 cannot be replaced. addJob`,
      );
      // A child that fails (no failure policy) keeps its parent waiting; retried and completed, it releases it.
      let fail = true;
      e.worker(q, async (job) => {
        if (job.id === 'kid' && fail) {
          fail = false;
          throw new Error('first try');
        }
        return job.id;
      });
      await eventually(async () => (await queue.getJobState('kid')) === 'failed');
      expect(await queue.getJobState('p0')).toBe('waiting-children');
      await (await queue.getJob('kid'))!.retry();
      await eventually(async () => (await queue.getJobState('p0')) === 'completed', 15_000, 'the parent released by the retried child');
    });

    it('closes Queue, Worker, QueueEvents and the backend in every order without spinning or hanging', async () => {
      const parts = ['queue', 'worker', 'events', 'backend'] as const;
      const orders: (typeof parts)[number][][] = [];
      const permute = (rest: (typeof parts)[number][], done: (typeof parts)[number][]): void => {
        if (rest.length === 0) orders.push(done);
        for (const part of rest)
          permute(
            rest.filter((p) => p !== part),
            [...done, part],
          );
      };
      permute([...parts], []);
      expect(orders).toHaveLength(24);
      for (const order of orders) {
        const backend = await makeBackend();
        const scratch = envOn(backend, false);
        const q = unique('close');
        const queue = scratch.queue(q);
        const worker = scratch.worker(q, async () => 'ok');
        worker.on('error', () => undefined);
        const events = await scratch.events(q);
        events.on('error', () => undefined);
        const job = await queue.add('j', {});
        // The job's state, not its event: on a busy machine the reader's first XREAD from '$' can begin after
        // the job finished (seen on the Cluster), and this test is about closing, not about event delivery.
        await eventually(async () => (await job.getState()) === 'completed', 15_000, 'the job to complete');
        await queue.obliterate({ force: true });
        const closers = { queue: () => queue.close(), worker: () => worker.close(), events: () => events.close(), backend: () => backend.close() };
        for (const part of order) {
          await closers[part]();
          // A read loop spinning on a closed backend starves the timers: each of these firing (within
          // the test timeout) is the proof that whatever is still open waits instead of spinning.
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    }, 120_000);
  });
}
