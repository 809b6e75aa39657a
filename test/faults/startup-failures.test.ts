import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runCli } from '../support/process.ts';
import { ThrowawayRedis } from '../support/redis.ts';

/** Start-up failures end the process with a non-zero code and one line that says what to fix, never a stack. */
describe('start-up failures', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-startup-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('port already in use (with REDIS_URL): exits 1 with one clear line', async () => {
    const redis = await ThrowawayRedis.start();
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    const service = runCli(['start'], { PORT: String(port), AI_STACK_DATA_DIR: tempDir(), REDIS_URL: redis.url, LOG_LEVEL: 'warn' });
    try {
      const code = await Promise.race([service.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 30_000).unref())]);
      expect(code).toBe(1);
      const lines = service
        .output()
        .split('\n')
        .filter((line) => line.startsWith('ai-stack start:'));
      expect(lines).toEqual([`ai-stack start: port ${port} on 127.0.0.1 is already in use; stop the other process or set PORT`]);
      expect(service.output()).not.toMatch(/^\s+at /m);
    } finally {
      service.child.kill('SIGKILL');
      blocker.close();
      await redis.stop();
    }
  }, 60_000);

  it.each([
    [
      'a file that is not a database',
      (dir: string) => {
        writeFileSync(join(dir, 'ai-stack.db'), randomBytes(8192));
        return { dataDir: dir, reason: /is not a SQLite database/, names: join(dir, 'ai-stack.db') };
      },
    ],
    [
      'a data dir under a regular file',
      (dir: string) => {
        writeFileSync(join(dir, 'plain-file'), 'x');
        return { dataDir: join(dir, 'plain-file', 'data'), reason: /is a file, not a directory/, names: join(dir, 'plain-file', 'data') };
      },
    ],
  ])('a bad data dir (%s): exits 1 with one line naming the file or dir and AI_STACK_DATA_DIR', async (_name, prepare) => {
    const { dataDir, reason, names } = prepare(tempDir());
    const service = runCli(['start'], { PORT: '0', AI_STACK_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
    expect(await service.exited).toBe(1);
    const output = service.output().trim();
    expect(output.split('\n')).toHaveLength(1);
    expect(output).toContain(names);
    expect(output).toContain(`AI_STACK_DATA_DIR is ${dataDir}`);
    expect(output).toMatch(reason);
  });

  it("a second API process on the same embedded data dir is refused with one line; a worker is allowed; a dead owner's lock is taken over", async () => {
    const dataDir = tempDir();
    const env = { AI_STACK_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const first = runCli(['start'], { ...env, PORT: String(await freePort()) });
    try {
      await first.waitFor(/AI Stack is serving/, 60_000);
      const second = runCli(['start'], { ...env, PORT: String(await freePort()) });
      expect(await second.exited).toBe(1);
      expect(second.output().trim()).toMatch(
        new RegExp(
          `^ai-stack start: another AI Stack API process \\(pid ${first.child.pid}, started [^)]+\\) already serves AI_STACK_DATA_DIR ${dataDir}; .*REDIS_URL[^\\n]*$`,
        ),
      );

      const worker = runCli(['worker'], env);
      try {
        await worker.waitFor(/consuming/, 60_000);
      } finally {
        worker.child.kill('SIGTERM');
        await worker.exited;
      }
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    // The first process died without releasing its lock: the next start takes it over.
    const third = runCli(['start'], { ...env, PORT: String(await freePort()) });
    try {
      await third.waitFor(/AI Stack is serving/, 60_000);
      third.child.kill('SIGTERM');
      expect(await third.exited).toBe(0);
    } finally {
      third.child.kill('SIGKILL');
    }
  }, 120_000);
});
