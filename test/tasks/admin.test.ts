import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisTaskBackend, startWorkers, tasksAdminRoutes, type TaskBackend, type TaskSystem, type WorkerPool } from '../../src/tasks/index.ts';
import { eventually } from '../conformance/tasks-helpers.ts';
import { closeTaskService, openTaskService } from '../support/task-service.ts';
import { add, fatal, slow } from './fixtures/tasks.ts';
import { REDIS_URL } from './fixtures/redis.ts';

describe('tasks admin API and metrics (redis)', () => {
  let backend: TaskBackend;
  let system: TaskSystem;
  let app: FastifyInstance;
  let pool: WorkerPool | undefined;
  let registry: Registry;

  async function open(): Promise<void> {
    backend = createRedisTaskBackend({ url: REDIS_URL, keyPrefix: `test:tasks:${randomUUID().slice(0, 8)}:` });
    registry = new Registry();
    ({ system, app } = await openTaskService({
      backend,
      tasks: [add, fatal, slow],
      registry,
      routes: (tasks) => [
        tasksAdminRoutes(tasks, {
          basePath: '/admin/queues',
          schedules: [{ id: 'nightly', task: add.name, args: { a: 1, b: 1 }, cron: '0 3 * * *', tz: 'Europe/Berlin' }],
        }),
      ],
    }));
  }

  afterEach(async () => {
    await closeTaskService({ backend, system, app }, pool);
    pool = undefined;
  });

  it('lists queues, workers, tasks (filtered and searched), detail with attempts, and serves Bull Board', async () => {
    await open();
    pool = await startWorkers(system, { queues: ['documents', 'emails', 'sync'], heartbeatMs: 100 });
    const ok = await system.task(add).delay({ a: 40, b: 2 });
    const bad = await system.task(fatal).delay({ key: 'needle-xyz' });
    await ok.get({ timeout: 10_000 });
    await bad.get({ timeout: 10_000 }).catch(() => undefined);

    const queues = (await app.inject('/admin/tasks/queues')).json();
    expect(queues.find((q: { name: string }) => q.name === 'documents').counts.completed).toBe(1);
    const workers = (await app.inject('/admin/tasks/workers')).json();
    expect(workers.map((w: { id: string }) => w.id)).toContain(pool.id);

    const failed = (await app.inject('/admin/tasks/jobs?state=failed')).json();
    expect(failed.map((t: { id: string }) => t.id)).toEqual([bad.id]);
    expect((await app.inject('/admin/tasks/jobs?search=needle-xyz')).json().map((t: { id: string }) => t.id)).toEqual([bad.id]);
    expect((await app.inject(`/admin/tasks/jobs?search=${ok.id}`)).json().map((t: { id: string }) => t.id)).toEqual([ok.id]);
    expect((await app.inject('/admin/tasks/jobs?name=test.add')).json()).toHaveLength(1);
    expect((await app.inject(`/admin/tasks/jobs?since=${Date.now() + 60_000}`)).json()).toEqual([]);

    const detail = (await app.inject(`/admin/tasks/jobs/${bad.id}`)).json();
    expect(detail).toMatchObject({ id: bad.id, name: 'test.fatal', celeryState: 'FAILURE', args: { key: 'needle-xyz' } });
    expect(detail.attempts[0].error.stack).toContain('do not retry me');
    expect((await app.inject(`/admin/tasks/jobs/${ok.id}`)).json().result).toBe(42);

    const board = await app.inject('/admin/queues');
    expect(board.statusCode).toBe(200);
    expect(board.body).toContain('/admin/queues');
    const boardApi = await app.inject('/admin/queues/api/queues');
    expect(boardApi.statusCode).toBe(200);
    expect(boardApi.json().queues.map((q: { name: string }) => q.name)).toEqual(expect.arrayContaining(['documents', 'reports', 'emails', 'sync']));
    // The board is built on its first request and answers through the service: its page's script, and a change.
    const script = /<script[^>]+src="([^"]+\.js)"/.exec(board.body)?.[1];
    expect(board.body).toContain('<base href="/admin/queues/"');
    const asset = await app.inject(`/admin/queues/${script ?? 'missing.js'}`);
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.rawPayload.length).toBeGreaterThan(1000);
    expect((await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/reports/pause' })).statusCode).toBe(200);
    expect(await system.queue('reports').isPaused()).toBe(true);
    await system.queue('reports').resume();

    const metrics = await registry.metrics();
    expect(metrics).toMatch(/ai_stack_tasks_finished_total\{queue="documents",task="test.add",outcome="success"\} 1/);
    expect(metrics).toMatch(/ai_stack_tasks_finished_total\{queue="emails",task="test.fatal",outcome="failure"\} 1/);
    expect(metrics).toMatch(/ai_stack_tasks_enqueued_total\{queue="documents",task="test.add"\} 1/);
    expect(metrics).toMatch(/ai_stack_tasks_queue_jobs\{queue="emails",state="failed"\} 1/);
  });

  it('retries, revokes, terminates and purges', async () => {
    await open();
    const waiting = await system.task(add).applyAsync({ a: 1, b: 1 }, { countdown: 60_000 });
    await system.task(add).applyAsync({ a: 2, b: 2 }, { countdown: 60_000 });
    expect((await app.inject({ method: 'POST', url: `/admin/tasks/jobs/${waiting.id}/revoke`, payload: {} })).statusCode).toBe(200);
    expect(await waiting.state()).toBe('REVOKED');
    const purge = (await app.inject({ method: 'POST', url: '/admin/tasks/queues/documents/purge' })).json();
    expect(purge.purged).toBe(1);
    expect((await app.inject({ method: 'POST', url: '/admin/tasks/queues/nope/purge' })).statusCode).toBe(404);

    pool = await startWorkers(system, { queues: ['sync', 'emails'], revokePollMs: 50 });
    const running = await system.task(slow).delay({ ms: 30_000 });
    await eventually(async () => (await running.state()) === 'STARTED');
    expect((await app.inject({ method: 'POST', url: `/admin/tasks/jobs/${running.id}/revoke`, payload: { terminate: true } })).json()).toMatchObject({
      terminate: true,
    });
    await eventually(async () => (await running.state()) === 'REVOKED');

    const bad = await system.task(fatal).delay({ key: `r${Math.random()}` });
    await bad.get({ timeout: 10_000 }).catch(() => undefined);
    expect((await app.inject({ method: 'POST', url: `/admin/tasks/jobs/${bad.id}/retry` })).statusCode).toBe(200);
    await eventually(
      async () => (await bad.info())?.attempts.length === 1 && (await bad.state()) === 'FAILURE' && ((await system.findJob(bad.id))?.attemptsMade ?? 0) >= 1,
    );
    expect((await app.inject({ method: 'POST', url: '/admin/tasks/jobs/missing-id/retry' })).statusCode).toBe(404);
  });

  it('lists and edits schedules, and rejects malformed or hostile input', async () => {
    await open();
    const list = (await app.inject('/admin/tasks/schedules')).json();
    expect(list).toEqual([expect.objectContaining({ id: 'nightly', cron: '0 3 * * *', tz: 'Europe/Berlin', source: 'code' })]);
    const edited = await app.inject({ method: 'PUT', url: '/admin/tasks/schedules/nightly', payload: { every: 3_600_000 } });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ id: 'nightly', every: 3_600_000, source: 'edited' });
    expect(edited.json().cron).toBeUndefined();
    expect((await system.queue('documents').getJobScheduler('nightly'))?.every).toBe(3_600_000);
    const run = (await app.inject({ method: 'POST', url: '/admin/tasks/schedules/nightly/run' })).json();
    expect(await system.result(run.id).state()).toBe('PENDING');
    expect((await app.inject({ method: 'DELETE', url: '/admin/tasks/schedules/nightly' })).statusCode).toBe(200);
    expect((await app.inject('/admin/tasks/schedules')).json()[0]).toMatchObject({ cron: '0 3 * * *', source: 'code' });

    expect((await app.inject({ method: 'PUT', url: '/admin/tasks/schedules/nightly', payload: { cron: 'every tuesday' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PUT', url: '/admin/tasks/schedules/nightly', payload: { args: { a: 'x' } } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PUT', url: '/admin/tasks/schedules/nightly', payload: { every: 5 } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PUT', url: '/admin/tasks/schedules/ghost', payload: { every: 1000 } })).statusCode).toBe(404);
    expect(
      (
        await app.inject({
          method: 'PUT',
          url: '/admin/tasks/schedules/nightly',
          headers: { 'content-type': 'application/json' },
          payload: '{"__proto__":{"every":1000},"nope":1}',
        })
      ).statusCode,
    ).toBe(400);
    expect(({} as Record<string, unknown>).every).toBeUndefined();
    expect((await app.inject('/admin/tasks/jobs?state=bogus')).statusCode).toBe(400);
    expect((await app.inject(`/admin/tasks/jobs?search=${'x'.repeat(600)}`)).statusCode).toBe(400);
    expect((await app.inject('/admin/tasks/jobs?limit=-1')).statusCode).toBe(400);
    expect([400, 414]).toContain((await app.inject(`/admin/tasks/jobs/${'z'.repeat(300)}`)).statusCode);
    expect((await app.inject('/admin/tasks/jobs/unknown-id')).statusCode).toBe(404);
  });
});
