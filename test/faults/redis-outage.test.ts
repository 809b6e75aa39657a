import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runCli, type CliProcess } from '../support/process.ts';
import { ThrowawayRedis } from '../support/redis.ts';
import { eventually } from '../support/wait.ts';

const SHUTDOWN_TIMEOUT_MS = 3_000;

/** Resolves with the exit code, or 'still running' if the process outlives `ms`. */
function exitWithin(service: CliProcess, ms: number): Promise<number | null | 'still running'> {
  return Promise.race([service.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), ms).unref())]);
}

async function status(url: string, key?: string): Promise<number> {
  const response = await fetch(url, key ? { headers: { authorization: `Bearer ${key}` } } : {}).catch(() => undefined);
  await response?.arrayBuffer();
  return response?.status ?? 0;
}

/** Lines that are parts of stack traces: a connection problem is one log line, never a dump. */
function stackLines(output: string): string[] {
  return output.split('\n').filter((line) => /^\s+at |\\n\s+at /.test(line));
}

describe('Redis outages around the service', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-redis-outage-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('down at start-up: 503 readiness, one logged problem, workers start when Redis comes back, SIGTERM ends', async () => {
    const redis = new ThrowawayRedis(await freePort());
    const port = await freePort();
    const service = runCli(['start'], {
      PORT: String(port),
      AI_STACK_DATA_DIR: tempDir(),
      REDIS_URL: redis.url,
      LOG_LEVEL: 'warn',
      AI_STACK_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    try {
      const [key] = await service.waitFor(/ask_[A-Za-z0-9_-]{43}/, 60_000);
      await eventually(async () => (await status(`http://127.0.0.1:${port}/readyz`)) === 503, 30_000, 'readiness to answer 503');
      // A window of a few reconnection rounds, observed through requests rather than a sleep.
      for (let i = 0; i < 15; i++) expect(await status(`http://127.0.0.1:${port}/readyz`)).toBe(503);
      await eventually(() => /unreachable/i.test(service.output()), 10_000, 'the connection problem to be logged');
      expect(stackLines(service.output())).toEqual([]);
      expect(service.output()).not.toMatch(/Unhandled error event/);
      const problemLines = service
        .output()
        .split('\n')
        .filter((line) => /ECONNREFUSED|unreachable/i.test(line));
      expect(problemLines.length).toBeLessThanOrEqual(4);

      await redis.start();
      await eventually(async () => (await status(`http://127.0.0.1:${port}/readyz`)) === 200, 30_000, 'readiness once Redis is back');
      await eventually(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/admin/tasks/workers`, { headers: { authorization: `Bearer ${key}` } });
          return response.ok && ((await response.json()) as unknown[]).length > 0;
        },
        30_000,
        'the task workers to start',
      );
      await service.waitFor(/reachable again/i, 10_000);

      service.child.kill('SIGTERM');
      expect(await exitWithin(service, SHUTDOWN_TIMEOUT_MS + 10_000)).toBe(0);
    } finally {
      service.child.kill('SIGKILL');
      await redis.stop();
    }
  }, 120_000);

  it('down at SIGTERM: the process ends within the shutdown timeout, whatever Redis does', async () => {
    const redis = await ThrowawayRedis.start();
    const port = await freePort();
    const service = runCli(['start'], {
      PORT: String(port),
      AI_STACK_DATA_DIR: tempDir(),
      REDIS_URL: redis.url,
      LOG_LEVEL: 'warn',
      AI_STACK_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    try {
      const [key] = await service.waitFor(/ask_[A-Za-z0-9_-]{43}/, 60_000);
      await eventually(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/admin/tasks/workers`, { headers: { authorization: `Bearer ${key}` } }).catch(() => undefined);
          return response?.ok === true && ((await response.json()) as unknown[]).length > 0;
        },
        30_000,
        'the task workers to start',
      );
      await redis.stop();
      await eventually(async () => (await status(`http://127.0.0.1:${port}/readyz`)) === 503, 30_000, 'readiness to notice');
      service.child.kill('SIGTERM');
      const code = await exitWithin(service, SHUTDOWN_TIMEOUT_MS + 10_000);
      expect(code).not.toBe('still running');
      expect(stackLines(service.output())).toEqual([]);
    } finally {
      service.child.kill('SIGKILL');
      await redis.stop();
    }
  }, 120_000);

  it.each([
    ['worker', ['worker', '--shutdown-timeout', String(SHUTDOWN_TIMEOUT_MS)]],
    ['scheduler', ['scheduler']],
  ])(
    '`ai-stack %s` with Redis down from the start ends on SIGTERM within the shutdown timeout',
    async (_name, args) => {
      const redis = new ThrowawayRedis(await freePort());
      const service = runCli(args, {
        AI_STACK_DATA_DIR: tempDir(),
        REDIS_URL: redis.url,
        LOG_LEVEL: 'warn',
        AI_STACK_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      });
      try {
        await service.waitFor(/unreachable/, 30_000);
        service.child.kill('SIGTERM');
        expect(await exitWithin(service, SHUTDOWN_TIMEOUT_MS + 10_000)).not.toBe('still running');
        expect(stackLines(service.output())).toEqual([]);
      } finally {
        service.child.kill('SIGKILL');
      }
    },
    60_000,
  );
});
