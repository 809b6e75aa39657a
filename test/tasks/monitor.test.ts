import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTask, type TaskContext, type TaskDefinition } from '../../src/tasks/index.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp.ts';
import { eventually } from '../support/wait.ts';

/** Fails every time: three attempts (two retries), each with the same error and its stack. */
const alwaysFails = defineTask(
  'test.always_fails',
  { queue: 'sync', args: Type.Object({ disk: Type.String() }, { additionalProperties: false }), retries: { max: 2, backoff: { delayMs: 10, jitter: false } } },
  ({ disk }) => {
    throw new Error(`disk ${disk} on fire`);
  },
);
const tick = defineTask('test.tick', { queue: 'sync', args: Type.Object({}, { additionalProperties: false }) }, () => 'tock');

/**
 * Runs a registered task's real handler in this process with a context that records every progress report
 * (the worker's context stores the same reports with the job; see progress.test.ts for that path).
 */
async function runRecordingProgress(def: TaskDefinition, args: unknown): Promise<number[]> {
  const fractions: number[] = [];
  const ctx: TaskContext = {
    id: `progress-${Date.now()}`,
    name: def.name,
    attempt: 1,
    startedAt: Date.now(),
    signal: new AbortController().signal,
    async progress(value) {
      fractions.push(typeof value === 'number' ? value : value.total === 0 ? 1 : value.done / value.total);
    },
  };
  await def.handler(def.validate(args), ctx);
  return fractions;
}

const ascending = (values: number[]) => values.every((v, i) => i === 0 || v >= values[i - 1]!);

describe('tasks monitor API: workers, attempt history, schedule edits, progress of backups and bulk mail', () => {
  let svc: TestService;
  let smtp: TestSmtpServer;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    svc = await startTestService(
      'sqlite',
      {
        AI_STACK_SMTP_URL: smtp.url,
        AI_STACK_MAIL_FROM: 'News <news@example.com>',
        AI_STACK_PUBLIC_URL: 'https://ai.example.com',
        AI_STACK_MAIL_SECRET: 'y'.repeat(40),
      },
      {
        tasks: { tasks: [alwaysFails, tick] as TaskDefinition[], schedules: [{ id: 'tick.hourly', task: tick.name, args: {}, cron: '0 * * * *', tz: 'UTC' }] },
      },
    );
    await svc.runtime.startBackground();
  }, 120_000);
  afterAll(async () => {
    await svc?.cleanup();
    await smtp?.close();
  });

  const put = (id: string, body: unknown) => svc.call(`/admin/tasks/schedules/${id}`, { method: 'PUT', json: body });

  it('lists live workers with their heartbeat age and concurrency per queue', async () => {
    const workers = await (await svc.call('/admin/tasks/workers')).json();
    expect(workers).toHaveLength(1);
    const [worker] = workers;
    expect(worker.queues).toEqual(expect.arrayContaining(['documents', 'emails', 'reports', 'sync']));
    expect(worker.concurrency).toMatchObject({ sync: 10, emails: 10 });
    expect(worker.lastSeen).toBeGreaterThanOrEqual(worker.startedAt);
    // Heartbeats come every 5 s and an entry lives three beats: a listed worker's age is below 15 s.
    expect(worker.ageMs).toBeGreaterThanOrEqual(0);
    expect(worker.ageMs).toBeLessThan(15_000);
  });

  it("keeps a failed task's attempt history: each attempt's start, end, error and traceback", async () => {
    const handle = await svc.runtime.tasks.system.send(alwaysFails.name, { disk: 'sda' });
    await eventually(async () => (await handle.state()) === 'FAILURE', 30_000, 'the task to fail for good');
    const detail = await (await svc.call(`/admin/tasks/jobs/${handle.id}`)).json();
    expect(detail).toMatchObject({ state: 'failed', celeryState: 'FAILURE', attemptsMade: 3, error: { name: 'Error', message: 'disk sda on fire' } });
    expect(detail.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2, 3]);
    for (const a of detail.attempts) {
      expect(a.error).toMatchObject({ name: 'Error', message: 'disk sda on fire' });
      expect(a.error.stack).toMatch(/^Error: disk sda on fire\n\s+at /);
      expect(a.finishedAt).toBeGreaterThanOrEqual(a.startedAt);
    }
    expect(detail.attempts[1].startedAt).toBeGreaterThanOrEqual(detail.attempts[0].finishedAt);
  });

  it('edits a schedule (cron with time zone, interval), pauses it, and refuses bad input with a 400 naming the field', async () => {
    const cron = await put('tick.hourly', { cron: '30 9 * * 1-5', tz: 'Asia/Shanghai' });
    expect(cron.status).toBe(200);
    expect(await cron.json()).toMatchObject({ id: 'tick.hourly', cron: '30 9 * * 1-5', tz: 'Asia/Shanghai', source: 'edited' });
    const scheduler = await svc.runtime.tasks.system.queue('sync').getJobScheduler('tick.hourly');
    expect(scheduler).toMatchObject({ pattern: '30 9 * * 1-5', tz: 'Asia/Shanghai' });

    const every = await (await put('tick.hourly', { every: 90_000 })).json();
    expect(every).toMatchObject({ every: 90_000, source: 'edited' });
    expect(every.cron).toBeUndefined();
    expect(Number((await svc.runtime.tasks.system.queue('sync').getJobScheduler('tick.hourly'))?.every)).toBe(90_000);

    const paused = await (await put('tick.hourly', { enabled: false })).json();
    expect(paused).toMatchObject({ enabled: false, every: 90_000 });
    expect(await svc.runtime.tasks.system.queue('sync').getJobScheduler('tick.hourly')).toBeFalsy();
    expect((await put('tick.hourly', { enabled: true })).status).toBe(200);

    const problems: Array<[unknown, string, RegExp]> = [
      [{ cron: 'every tuesday' }, 'cron', /invalid cron expression "every tuesday"/],
      [{ cron: '61 * * * *' }, 'cron', /invalid cron expression/],
      [{ cron: '0 3 * * *', tz: 'Mars/Olympus_Mons' }, 'tz', /unknown time zone "Mars\/Olympus_Mons"/],
      [{ cron: '0 3 * * *', every: 60_000 }, 'cron', /give exactly one of cron and every/],
      [{ every: 5 }, 'every', /every/],
      [{ every: 'often' }, 'every', /every/],
      [{ every: 400 * 86_400_000 }, 'every', /at least 100/],
    ];
    for (const [body, field, detail] of problems) {
      const res = await put('tick.hourly', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = await res.json();
      expect(problem.code).toBe('validation_failed');
      expect(problem.detail, JSON.stringify(body)).toMatch(detail);
      expect(problem.detail).toContain(field);
      expect(problem.errors.map((e: { field: string }) => e.field).join(' '), JSON.stringify(body)).toContain(field);
    }
    // Nothing bad was stored: the schedule is as the last good edit left it.
    const [view] = (await (await svc.call('/admin/tasks/schedules')).json()).filter((s: { id: string }) => s.id === 'tick.hourly');
    expect(view).toMatchObject({ every: 90_000, enabled: true });
    expect((await svc.call('/admin/tasks/schedules/tick.hourly', { method: 'DELETE' })).status).toBe(200);
  });

  it('a real backup reports progress from 0 to 100 %, and the API shows it on the job', async () => {
    const backup = svc.runtime.tasks.system.definition('sync.backup_data')!;
    const fractions = await runRecordingProgress(backup, {});
    expect(fractions[0]).toBe(0);
    expect(fractions.at(-1)).toBe(1);
    expect(ascending(fractions)).toBe(true);
    expect(fractions.filter((f) => f > 0 && f < 1).length).toBeGreaterThanOrEqual(2);

    const handle = await svc.runtime.tasks.system.send('sync.backup_data', {});
    await handle.get({ timeout: 60_000 });
    const job = await (await svc.call(`/admin/tasks/jobs/${handle.id}`)).json();
    expect(job.progress).toMatchObject({ fraction: 1, message: 'done' });
  });

  it('a real bulk send reports progress from 0 to 100 % as recipients are sent, and the API shows it on the job', async () => {
    const recipients = Array.from({ length: 40 }, (_, i) => ({ to: `reader${i}@example.com`, name: `Reader ${i}` }));
    const bulk = svc.runtime.tasks.system.definition('emails.send_bulk_emails')!;
    const fractions = await runRecordingProgress(bulk, { template: 'newsletter', vars: { title: 'T', body: 'B' }, recipients, batchId: 'progress-1' });
    expect(fractions[0]).toBe(0);
    expect(fractions.at(-1)).toBe(1);
    expect(ascending(fractions)).toBe(true);
    // One report per whole percent that changes: 40 recipients give 40 steps between 0 and 1.
    expect(new Set(fractions.filter((f) => f > 0 && f < 1)).size).toBe(39);
    expect(smtp.countFor('reader39@example.com')).toBe(1);

    const handle = await svc.runtime.tasks.system.send('emails.send_bulk_emails', {
      template: 'newsletter',
      vars: { title: 'T', body: 'B' },
      recipients: recipients.slice(0, 5),
      batchId: 'progress-2',
    });
    await handle.get({ timeout: 60_000 });
    const job = await (await svc.call(`/admin/tasks/jobs/${handle.id}`)).json();
    expect(job.progress).toMatchObject({ fraction: 1, done: 5, total: 5, message: 'done' });
  });
});
