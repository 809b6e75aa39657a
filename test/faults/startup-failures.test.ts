import { mkdtempSync, rmSync } from 'node:fs';
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
      const lines = service.output().split('\n').filter((line) => line.startsWith('ai-stack start:'));
      expect(lines).toEqual([`ai-stack start: port ${port} on 127.0.0.1 is already in use; stop the other process or set PORT`]);
      expect(service.output()).not.toMatch(/^\s+at /m);
    } finally {
      service.child.kill('SIGKILL');
      blocker.close();
      await redis.stop();
    }
  }, 60_000);
});
