// The user's own tasks: loaded with --tasks (Celery's -A), sent by name from the CLI (`ai-stack call`)
// and from the HTTP monitor (`POST /admin/tasks/apply/{name}`, Flower's apply-async).
import { mkdtempSync, rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCallCommand } from '../../src/cli/commands/call.ts';
import { loadTaskModules, TaskModuleError } from '../../src/tasks/index.ts';
import { runCli, type CliProcess } from '../support/process.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures/user-modules');
const SHOP = join(FIXTURES, 'shop-tasks.ts');

describe('loadTaskModules', () => {
  it('collects every exported task definition and the schedules array', async () => {
    const loaded = await loadTaskModules([SHOP]);
    expect(loaded.tasks.map((t) => t.name).sort()).toEqual(['shop.fail', 'shop.greet']);
    expect(loaded.schedules.map((s) => s.id)).toEqual(['shop-greet-hourly']);
  });

  it('resolves relative paths from the given directory', async () => {
    const loaded = await loadTaskModules(['./shop-tasks.ts'], FIXTURES);
    expect(loaded.tasks).toHaveLength(2);
  });

  it('names the module and the problem when it is missing, broken or exports no task', async () => {
    await expect(loadTaskModules([join(FIXTURES, 'nope.ts')])).rejects.toThrow(/nope\.ts does not exist/);
    await expect(loadTaskModules([join(FIXTURES, 'broken.ts')])).rejects.toThrow(/broken\.ts failed to load: cannot connect to the moon/);
    await expect(loadTaskModules([join(FIXTURES, 'no-tasks.ts')])).rejects.toThrow(TaskModuleError);
    await expect(loadTaskModules([join(FIXTURES, 'no-tasks.ts')])).rejects.toThrow(/exports no task/);
  });
});

describe('ai-stack worker --tasks and ai-stack call (real processes, embedded queue)', { timeout: 60_000 }, () => {
  let dataDir: string;
  let worker: CliProcess;
  const env = (): Record<string, string> => ({ AI_STACK_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const call = async (args: string[]): Promise<{ code: number | null; out: string }> => {
    const p = runCli(['call', ...args], env());
    const code = await p.exited;
    return { code, out: p.output() };
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-user-tasks-'));
    worker = runCli(['worker', '--tasks', SHOP, '--queues', 'emails,reports'], env());
    await worker.waitFor(/your tasks: shop\.(greet|fail), shop\.(greet|fail)/);
  });
  afterAll(async () => {
    worker.child.kill('SIGTERM');
    await worker.exited;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a task sent by name and prints its result with --wait', async () => {
    const res = await call(['shop.greet', '--tasks', SHOP, '--args', '{"name":"ada","times":2}', '--wait']);
    expect(res.out).toContain('"hello adahello ada"');
    expect(res.code).toBe(0);
  });

  it('prints only the id without --wait, and honours --queue', async () => {
    const res = await call(['shop.greet', '-A', SHOP, '-a', '{"name":"bob"}', '--queue', 'reports']);
    expect(res.code).toBe(0);
    expect(res.out.trim()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses invalid arguments naming the field, and enqueues nothing', async () => {
    const res = await call(['shop.greet', '--tasks', SHOP, '--args', '{"times":9}']);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/name/);
    expect(res.out).toMatch(/times/);
    expect(res.out).not.toMatch(/\n\s+at /);
  });

  it('says which tasks exist when the name is unknown, and how to load yours', async () => {
    const res = await call(['shop.greet', '--args', '{"name":"x"}']);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/no task named "shop\.greet".*--tasks/);
    expect(res.out).toContain('sync.cleanup_cache');
  });

  it('reports a failed task with exit code 1 and its error', async () => {
    const res = await call(['shop.fail', '--tasks', SHOP, '--args', '{}', '--wait', '--timeout', '20']);
    expect(res.code).toBe(1);
    expect(res.out).toContain('the shop is closed');
  });

  it('rejects bad flags with usage (exit 2), touching nothing', async () => {
    // Usage errors are found before any backend opens: run the command in-process.
    const command = createCallCommand(() => Promise.reject(new Error('must not open a backend')));
    for (const args of [
      ['shop.greet', '--args', '{nope'],
      ['shop.greet', '--countdown', 'soon'],
      ['--args', '{}'],
      ['shop.greet', '--queue', 'Bad Queue'],
      ['shop.greet', '--priority', '0'],
      ['a', 'b'],
    ]) {
      let err = '';
      const stderr = new PassThrough();
      stderr.on('data', (d: Buffer) => (err += d.toString()));
      expect(
        await command.run(args, {
          loadConfig: () => {
            throw new Error('no config needed');
          },
          stdout: new PassThrough(),
          stderr,
        }),
        args.join(' '),
      ).toBe(2);
      expect(err).toContain('Usage: ai-stack call');
    }
  });

  it('a broken task module is one line and exit 1', async () => {
    const broken = await call(['x.y', '--tasks', join(FIXTURES, 'broken.ts')]);
    expect(broken.code).toBe(1);
    expect(broken.out.trim().split('\n')).toHaveLength(1);
    expect(broken.out).toMatch(/broken\.ts failed to load/);
  }, 60_000);
});

describe('POST /admin/tasks/apply/{name} (ai-stack start --tasks)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('sqlite', {}, { tasks: await loadTaskModules([SHOP]) });
    await svc.runtime.startBackground();
  });
  afterAll(async () => svc.cleanup());

  const detail = async (id: string): Promise<{ celeryState: string; result: unknown; error: { message: string } | null; queue: string; state: string }> =>
    (await svc.call(`/admin/tasks/jobs/${id}`)).json();

  it('answers 202 with the id; the job detail then shows state and result', async () => {
    const res = await svc.call('/admin/tasks/apply/shop.greet', { method: 'POST', json: { args: { name: 'eve' } } });
    expect(res.status).toBe(202);
    const { id, queue } = await res.json();
    expect(queue).toBe('emails');
    await expect.poll(async () => (await detail(id)).celeryState, { timeout: 20_000 }).toBe('SUCCESS');
    expect(await detail(id)).toMatchObject({ result: 'hello eve', error: null, queue: 'emails' });
  });

  it('shows the error of a failed task', async () => {
    const { id } = await (await svc.call('/admin/tasks/apply/shop.fail', { method: 'POST', json: { args: {} } })).json();
    await expect.poll(async () => (await detail(id)).celeryState, { timeout: 20_000 }).toBe('FAILURE');
    expect((await detail(id)).error?.message).toContain('the shop is closed');
  });

  it('honours queue and countdown (seconds)', async () => {
    const routed = await (
      await svc.call('/admin/tasks/apply/shop.greet', { method: 'POST', json: { args: { name: 'q' }, queue: 'reports', priority: 3 } })
    ).json();
    await expect.poll(async () => (await detail(routed.id)).celeryState, { timeout: 20_000 }).toBe('SUCCESS');
    expect((await detail(routed.id)).queue).toBe('reports');
    const later = await (await svc.call('/admin/tasks/apply/shop.greet', { method: 'POST', json: { args: { name: 'later' }, countdown: 3600 } })).json();
    expect(await detail(later.id)).toMatchObject({ state: 'delayed', celeryState: 'PENDING' });
  });

  it('validates the arguments with the task schema: 400 naming each field', async () => {
    const res = await svc.call('/admin/tasks/apply/shop.greet', { method: 'POST', json: { args: { times: 9 } } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = await res.json();
    const fields = body.errors.map((e: { field: string }) => e.field).join(' ');
    expect(fields).toMatch(/name/);
    expect(fields).toMatch(/times/);
  });

  it('answers 404 for an unknown task and 400 for a malformed body', async () => {
    const unknown = await svc.call('/admin/tasks/apply/shop.nope', { method: 'POST', json: { args: {} } });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).detail).toContain('shop.nope');
    for (const json of [
      { args: { name: 'x' }, countdown: -1 },
      { args: { name: 'x' }, eta: 'tomorrow' },
      { args: { name: 'x' }, queue: 'Bad Queue' },
      { args: { name: 'x' }, surprise: 1 },
    ]) {
      const res = await svc.call('/admin/tasks/apply/shop.greet', { method: 'POST', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
    }
    expect((await svc.call('/admin/tasks/apply/shop.greet', { method: 'POST', json: { args: { name: 'x' } }, key: null })).status).toBe(401);
  });
});
