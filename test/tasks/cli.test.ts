import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createSchedulerCommand } from '../../src/cli/commands/scheduler.ts';
import { basicTaskRuntime, createWorkerCommand, parseConcurrency } from '../../src/cli/commands/worker.ts';
import type { CliContext } from '../../src/cli/command.ts';
import type { Config } from '../../src/config/index.ts';
import { createRedisTaskBackend, createTaskSystem } from '../../src/tasks/index.ts';
import { add } from './fixtures/tasks.ts';
import { REDIS_URL } from './fixtures/redis.ts';

function context(prefix: string): CliContext & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const config = {
    dataDir: '/tmp',
    logLevel: 'silent',
    redis: { url: REDIS_URL, keyPrefix: prefix },
    http: { shutdownTimeoutMs: 10_000 },
  } as unknown as Config;
  return { loadConfig: () => config, stdout, stderr, out: () => out, err: () => err };
}

describe('ai-stack worker / scheduler commands', () => {
  it('rejects bad flags with usage and exit code 2, touching nothing', async () => {
    const ctx = context('unused:');
    const cmd = createWorkerCommand(() => Promise.reject(new Error('must not start')));
    expect(await cmd.run(['--concurrency', 'lots'], ctx)).toBe(2);
    expect(await cmd.run(['--queues', 'Bad Name;rm'], ctx)).toBe(2);
    expect(await cmd.run(['--nope'], ctx)).toBe(2);
    expect(await createSchedulerCommand(() => Promise.reject(new Error('no'))).run(['extra', '--x'], ctx)).toBe(2);
    expect(await cmd.run(['-c', 'documents=0'], ctx)).toBe(2);
    expect(ctx.err()).toContain('Usage: ai-stack worker');
  });

  it('parses --concurrency as a number or per queue', () => {
    expect(parseConcurrency('8')).toBe(8);
    expect(parseConcurrency('documents=4, sync=1')).toEqual({ documents: 4, sync: 1 });
    for (const bad of ['0', '10001', 'documents', 'documents=x', '=3', 'a=1,,b=2', '1.5', '__proto__=1']) expect(parseConcurrency(bad)).toBeUndefined();
  });

  it('worker consumes the given queues and exits 0 after a graceful shutdown; scheduler declares schedules', async () => {
    const prefix = `test:tasks:${randomUUID().slice(0, 8)}:`;
    const ctx = context(prefix);
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    const spec = { id: 'cli-every', task: add.name, args: { a: 1, b: 2 }, every: 60_000 };
    const factory = basicTaskRuntime([add], [spec]);
    const worker = createWorkerCommand(factory, { until: () => until }).run(['-Q', 'documents', '-c', 'documents=2'], ctx);
    const scheduler = createSchedulerCommand(factory, { until: () => until }).run([], ctx);
    const backend = createRedisTaskBackend({ url: REDIS_URL, keyPrefix: prefix });
    const system = createTaskSystem({ backend, tasks: [add] });
    try {
      expect(await (await system.task(add).delay({ a: 4, b: 5 })).get({ timeout: 20_000 })).toBe(9);
      await expect.poll(async () => (await system.queue('documents').getJobSchedulers()).map((s) => s.key), { timeout: 20_000 }).toEqual(['cli-every']);
    } finally {
      stop();
      expect(await worker).toBe(0);
      expect(await scheduler).toBe(0);
      await system.queue('documents').obliterate({ force: true });
      for (const { key } of await backend.store.scan('')) await backend.store.delete(key);
      await system.close();
      await backend.close();
    }
    expect(ctx.out()).toMatch(/worker .* consuming documents \(concurrency \{"documents":2\}\)/);
    expect(ctx.out()).toMatch(/scheduler started with 1 schedule/);
  });
});
