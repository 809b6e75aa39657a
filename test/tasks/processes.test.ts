// The "Done when" items that need more than one OS process, against the real Redis.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisTaskBackend, createTaskSystem, startWorkers, type TaskBackend, type TaskSystem, type WorkerPool } from '../../src/tasks/index.ts';
import { eventually } from '../conformance/tasks-helpers.ts';
import { countTask } from './fixtures/count-task.ts';
import { add, slow } from './fixtures/tasks.ts';
import { REDIS_URL } from './fixtures/redis.ts';

const CHILD = new URL('./fixtures/child.ts', import.meta.url).pathname;

interface Child {
  proc: ChildProcess;
  events: Array<Record<string, unknown>>;
}

function child(role: string, cfg: Record<string, unknown>): Child {
  const proc = spawn(process.execPath, [CHILD, role, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const events: Array<Record<string, unknown>> = [];
  createInterface({ input: proc.stdout }).on('line', (line) => {
    try {
      events.push(JSON.parse(line));
    } catch {
      // not ours
    }
  });
  return { proc, events };
}

const exited = (c: Child): Promise<void> => new Promise((r) => (c.proc.exitCode !== null || c.proc.signalCode !== null ? r() : c.proc.once('exit', () => r())));

describe('tasks across processes (redis)', () => {
  const children: Child[] = [];
  let backend: TaskBackend;
  let system: TaskSystem;
  let prefix: string;
  const pools: WorkerPool[] = [];
  const open = (): void => {
    prefix = `test:tasks:${randomUUID().slice(0, 8)}:`;
    backend = createRedisTaskBackend({ url: REDIS_URL, keyPrefix: prefix });
    system = createTaskSystem({ backend, tasks: [add, slow, countTask(backend.store)] });
  };

  afterEach(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await Promise.all(children.map(exited));
    children.length = 0;
    await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 2_000 })));
    for (const q of system.queueNames)
      await system
        .queue(q)
        .obliterate({ force: true })
        .catch(() => undefined);
    for (const { key } of await backend.store.scan('')) await backend.store.delete(key);
    await system.close();
    await backend.close();
  });

  it('loses no job and completes each exactly once when a worker is killed with kill -9 mid-run', { timeout: 120_000 }, async () => {
    open();
    const count = system.task(system.definition('test.count') as ReturnType<typeof countTask>);
    const ids: string[] = [];
    for (let i = 0; i < 1000; i += 100) ids.push(...(await Promise.all(Array.from({ length: 100 }, (_, j) => count.delay({ i: i + j })))).map((h) => h.id));
    const first = child('worker', { url: REDIS_URL, prefix, concurrency: 20 });
    children.push(first);
    const q = system.queue('documents');
    await eventually(async () => ((await q.getJobCounts('completed')).completed ?? 0) >= 150, 60_000);
    first.proc.kill('SIGKILL');
    await exited(first);
    const atKill = (await q.getJobCounts('completed')).completed ?? 0;
    expect(atKill).toBeLessThan(1000);
    const second = child('worker', { url: REDIS_URL, prefix, concurrency: 20 });
    children.push(second);
    await eventually(async () => ((await q.getJobCounts('completed')).completed ?? 0) >= 1000, 90_000);
    await eventually(async () => ((await q.getJobCounts('active')).active ?? 0) === 0, 30_000);
    const counts = await q.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed');
    expect(counts).toMatchObject({ completed: 1000, failed: 0, active: 0, waiting: 0, delayed: 0 });
    const results = await Promise.all(ids.map((id) => system.lookup(id, 'documents')));
    expect(results.every((r) => r?.state === 'SUCCESS')).toBe(true);
    expect(results.map((r) => r?.result)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const execs = (await backend.store.getMany(ids.map((id) => `exec:${id}`))).map(Number);
    expect(execs.every((n) => n >= 1)).toBe(true);
    // At-least-once execution: only jobs in flight in the killed worker (≤ its concurrency) ran twice.
    expect(execs.filter((n) => n > 1).length).toBeLessThanOrEqual(20);
  });

  it('two scheduler processes: one leader, one job per tick', { timeout: 60_000 }, async () => {
    open();
    pools.push(await startWorkers(system, { queues: ['documents'], concurrency: 2 }));
    const a = child('scheduler', { url: REDIS_URL, prefix, every: 400 });
    const b = child('scheduler', { url: REDIS_URL, prefix, every: 400 });
    children.push(a, b);
    await eventually(() => a.events.length > 0 && b.events.length > 0, 30_000);
    expect([a.events[0]?.leader, b.events[0]?.leader].filter(Boolean)).toHaveLength(1);
    const q = system.queue('documents');
    await eventually(async () => ((await q.getJobCounts('completed')).completed ?? 0) >= 5, 30_000);
    a.proc.kill('SIGTERM');
    b.proc.kill('SIGTERM');
    await Promise.all([exited(a), exited(b)]);
    const jobs = await q.getJobs(['completed', 'active', 'waiting', 'delayed'], 0, 1000);
    // Every run belongs to the one scheduler and no two runs share a planned tick time.
    expect(jobs.every((j) => String(j.id).startsWith('repeat:two-schedulers:'))).toBe(true);
    const planned = jobs.map((j) => String(j.id).split(':').pop());
    expect(new Set(planned).size).toBe(planned.length);
    expect((await q.getJobSchedulers()).map((s) => s.key)).toEqual(['two-schedulers']);
  });

  it('SIGTERM lets a running job finish; past the shutdown deadline the job is re-queued and runs elsewhere', { timeout: 60_000 }, async () => {
    open();
    const graceful = child('worker', { url: REDIS_URL, prefix, queues: ['sync'] });
    children.push(graceful);
    const finishing = await system.task(slow).delay({ ms: 1_000 });
    await eventually(async () => (await finishing.state()) === 'STARTED', 30_000);
    graceful.proc.kill('SIGTERM');
    await exited(graceful);
    expect(graceful.proc.exitCode).toBe(0);
    expect(await finishing.get({ timeout: 1_000 })).toBe('finished');

    const impatient = child('worker', { url: REDIS_URL, prefix, queues: ['sync'], shutdownTimeoutMs: 100 });
    children.push(impatient);
    const cut = await system.task(slow).delay({ ms: 3_000 });
    await eventually(async () => (await cut.state()) === 'STARTED', 30_000);
    impatient.proc.kill('SIGTERM');
    await exited(impatient);
    // Handed back to the queue at the deadline (not left active until its lock expires), no attempt used.
    expect(await cut.state()).toBe('PENDING');
    expect((await system.findJob(cut.id))?.attemptsMade).toBe(0);
    pools.push(await startWorkers(system, { queues: ['sync'], stalledIntervalMs: 500, lockDurationMs: 2_000 }));
    expect(await cut.get({ timeout: 30_000 })).toBe('finished');
  });

  it('get({ timeout }) in another process returns the result', { timeout: 60_000 }, async () => {
    open();
    const handle = await system.task(add).applyAsync({ a: 20, b: 22 }, { countdown: 300 });
    const getter = child('get', { url: REDIS_URL, prefix, id: handle.id, timeout: 30_000 });
    children.push(getter);
    pools.push(await startWorkers(system, { queues: ['documents'] }));
    await exited(getter);
    expect(getter.events).toEqual([{ result: 42 }]);
  });
});
