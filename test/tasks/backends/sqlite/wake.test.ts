import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteQueueBackendFactory } from '../../../../src/tasks/backends/sqlite/index.ts';
import { uniqueName } from './env.ts';

const CHILD = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));
type Ctor<T> = new (...args: unknown[]) => T;
const QueueCtor = Queue as unknown as Ctor<Queue>;
const EventsCtor = QueueEvents as unknown as Ctor<QueueEvents>;

// The worker process polls every 10 minutes and blocks 5 minutes per wait: within the test's
// timeout only the cross-process wake-up (the watched `<file>-wake` byte) can hand it the job.
function sleepyWorker(file: string, queue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CHILD, file, queue], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, POLL_MS: '600000', DRAIN_DELAY_S: '300' },
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
  });
}

describe('sqlite backend cross-process wake-up', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('wakes an idle worker and a QueueEvents reader in another process without waiting for a poll', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-sqlite-wake-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'q.db');
    const name = uniqueName('wake');
    const child = await sleepyWorker(file, name);
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    );
    const factory = createSqliteQueueBackendFactory({ file, pollIntervalMs: 600_000 });
    cleanup.push(() => factory.close());
    const queue = new QueueCtor(name, { connection: {} }, factory);
    cleanup.push(() => queue.close());
    // This reader waits on the same wake-up for the other process's "completed".
    const events = new EventsCtor(name, { connection: {}, blockingTimeout: 300_000 }, factory);
    cleanup.push(() => events.close());
    await events.waitUntilReady();
    // Let the child's worker settle into its long wait first.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const job = await queue.add('n', { n: 42 });
    expect(await job.waitUntilFinished(events, 20_000)).toBe(42);
  });
});
