import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteQueueBackendFactory } from '../../../../src/tasks/backends/sqlite/index.ts';
import { uniqueName, until } from './env.ts';

const CHILD = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));
type Ctor<T> = new (...args: unknown[]) => T;
const QueueCtor = Queue as unknown as Ctor<Queue>;
const WorkerCtor = Worker as unknown as Ctor<Worker>;
const EventsCtor = QueueEvents as unknown as Ctor<QueueEvents>;

function startChild(file: string, queue: string, workerName?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CHILD, file, queue, ...(workerName ? [workerName] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`crash worker exited early (${code})`)));
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('sqlite backend durability', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  function tempFile(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-sqlite-durable-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    return join(dir, 'queue.db');
  }

  it('loses no job when a worker process is killed with SIGKILL mid-run; each job completes exactly once', async () => {
    const file = tempFile();
    const name = uniqueName('crash');
    const factory = createSqliteQueueBackendFactory({ file, pollIntervalMs: 10 });
    cleanup.push(() => factory.close());
    const queue = new QueueCtor(name, { connection: {} }, factory);
    cleanup.push(() => queue.close());
    // QueueEvents in this process sees the completions the worker processes commit.
    // From the start of the (new, empty) queue's event log, not from "now": no completion can be missed, so
    // nothing has to wait for the reader's first read before jobs are added.
    const events = new EventsCtor(name, { connection: {}, blockingTimeout: 200, lastEventId: '0' }, factory);
    cleanup.push(() => events.close());
    await events.waitUntilReady();
    const heard = new Map<string, number>();
    events.on('completed', ({ jobId }: { jobId: string }) => heard.set(jobId, (heard.get(jobId) ?? 0) + 1));
    await queue.addBulk(Array.from({ length: 1000 }, (_, n) => ({ name: 'job', data: { n } })));

    const first = await startChild(file, name);
    cleanup.push(() => {
      if (first.exitCode === null) first.kill('SIGKILL');
    });
    await until(async () => (await queue.getCompletedCount()) >= 150, 60_000);
    first.kill('SIGKILL');
    await exited(first);
    const afterCrash = await queue.getJobCounts('completed', 'active', 'wait');
    expect(afterCrash['completed']).toBeLessThan(1000);
    // The killed worker held jobs (its fetch claims the next job in the same transaction as a completion).
    expect(afterCrash['active']).toBeGreaterThan(0);

    const second = await startChild(file, name);
    cleanup.push(async () => {
      if (second.exitCode === null) {
        second.kill('SIGTERM');
        await exited(second);
      }
    });
    await until(async () => (await queue.getCompletedCount()) === 1000, 90_000);
    expect(await queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed')).toEqual({
      completed: 1000,
      failed: 0,
      active: 0,
      wait: 0,
      delayed: 0,
    });

    // The event log records every completion: exactly one per job, and each returned its own input.
    const db = new DatabaseSync(file, { readOnly: true });
    const rows = db.prepare(`SELECT fields FROM events WHERE queue = ? AND fields LIKE '["event","completed"%'`).all(`bull:${name}`) as { fields: string }[];
    db.close();
    const perJob = new Map<string, number>();
    for (const { fields } of rows) {
      const flat = JSON.parse(fields) as string[];
      const jobId = flat[flat.indexOf('jobId') + 1]!;
      perJob.set(jobId, (perJob.get(jobId) ?? 0) + 1);
    }
    expect(perJob.size).toBe(1000);
    expect([...perJob.values()].every((count) => count === 1)).toBe(true);
    const sample = await queue.getJobs(['completed'], 0, 1000);
    expect(sample.every((job) => job.returnvalue === job.data.n)).toBe(true);
    // Across processes, QueueEvents heard each completion exactly once.
    await until(() => heard.size === 1000);
    expect([...heard.values()].every((count) => count === 1)).toBe(true);
    // The jobs the dead worker held were recovered by stalled-job detection, not lost.
    expect(sample.filter((job) => job.stalledCounter > 0).length).toBe(afterCrash['active']);
  }, 180_000);

  it('shares one file between two worker processes: both work, every job completes once, none stalls', async () => {
    const file = tempFile();
    const name = uniqueName('two');
    const factory = createSqliteQueueBackendFactory({ file, pollIntervalMs: 10 });
    cleanup.push(() => factory.close());
    const queue = new QueueCtor(name, { connection: {} }, factory);
    cleanup.push(() => queue.close());
    const children = await Promise.all([startChild(file, name, 'left'), startChild(file, name, 'right')]);
    for (const child of children) {
      cleanup.push(async () => {
        if (child.exitCode === null) {
          child.kill('SIGTERM');
          await exited(child);
        }
      });
    }
    // Added while both workers poll: they wake on their next poll and contend for the same rows.
    for (let i = 0; i < 10; i++) await queue.addBulk(Array.from({ length: 100 }, (_, n) => ({ name: 'job', data: { n: i * 100 + n } })));
    await until(async () => (await queue.getCompletedCount()) === 1000, 90_000);
    const done = await queue.getJobs(['completed'], 0, 1000);
    expect(done).toHaveLength(1000);
    expect(new Set(done.map((job) => job.processedBy))).toEqual(new Set(['left', 'right']));
    expect(done.every((job) => job.stalledCounter === 0 && job.attemptsMade === 1 && job.returnvalue === job.data.n)).toBe(true);
  }, 120_000);

  it('keeps jobs, delayed jobs and job schedulers across a restart and fires them afterwards', async () => {
    const file = tempFile();
    const name = uniqueName('restart');
    let factory = createSqliteQueueBackendFactory({ file, pollIntervalMs: 10 });
    let queue = new QueueCtor(name, { connection: {} }, factory);
    await queue.add('plain', { v: 1 });
    await queue.add('later', { v: 2 }, { delay: 400 });
    await queue.upsertJobScheduler('every-200', { every: 200 }, { name: 'tick' });
    await queue.close();
    await factory.close();

    // "Restart": a fresh connection to the same file, as a new process would open it.
    factory = createSqliteQueueBackendFactory({ file, pollIntervalMs: 10 });
    cleanup.push(() => factory.close());
    queue = new QueueCtor(name, { connection: {} }, factory);
    cleanup.push(() => queue.close());
    expect(await queue.getJobSchedulersCount()).toBe(1);
    const seen: string[] = [];
    const worker = new WorkerCtor(
      name,
      async (job: { name: string }) => {
        seen.push(job.name);
      },
      { connection: {}, drainDelay: 1 },
      factory,
    );
    cleanup.push(() => worker.close());
    await until(() => seen.includes('plain') && seen.includes('later') && seen.filter((n) => n === 'tick').length >= 2);
  });
});
