import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Queue, Worker, type BackendFactory } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteQueueBackendFactory, type SqliteQueueBackendFactory } from '../../../../src/tasks/backends/sqlite/index.ts';
import { uniqueName, until } from './env.ts';

type Ctor<T> = new (...args: unknown[]) => T;
const QueueCtor = Queue as unknown as Ctor<Queue>;
const WorkerCtor = Worker as unknown as Ctor<Worker>;

describe('sqlite backend: malformed, oversized and hostile input', () => {
  let dir: string;
  let file: string;
  let factory: SqliteQueueBackendFactory;
  const open: Array<{ close(): Promise<void> }> = [];
  const queue = (name: string): Queue => {
    const q = new QueueCtor(name, { connection: {} }, factory);
    open.push(q);
    return q;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ai-stack-sqlite-hostile-'));
    file = join(dir, 'queue.db');
    factory = createSqliteQueueBackendFactory({ file });
  });
  afterEach(async () => {
    for (const thing of open.splice(0)) await thing.close();
    await factory.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a factory without a file', () => {
    expect(() => createSqliteQueueBackendFactory({ file: '' })).toThrow(TypeError);
    expect(() => createSqliteQueueBackendFactory({} as never)).toThrow(TypeError);
  });

  it('runs on an in-memory database inside one process', async () => {
    const memory = createSqliteQueueBackendFactory({ file: ':memory:' });
    const q = new QueueCtor('mem', { connection: {} }, memory);
    const w = new WorkerCtor('mem', async () => 'in memory', { connection: {}, drainDelay: 1 }, memory);
    const job = await q.add('m', {});
    await until(async () => (await job.getState()) === 'completed');
    expect((await q.getJob(job.id!))!.returnvalue).toBe('in memory');
    await w.close();
    await q.close();
    await memory.close();
  });

  it('refuses a file that is not a SQLite database instead of overwriting it', () => {
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not a database, it is a text file '.repeat(200));
    const bad = createSqliteQueueBackendFactory({ file: junk });
    expect(() => new QueueCtor('q', { connection: {} }, bad as unknown as BackendFactory)).toThrow(/not a database/);
  });

  it('stores SQL-looking names, ids and data verbatim (every statement is parameterised)', async () => {
    const name = uniqueName(`q'"; DROP TABLE jobs; --`);
    const q = queue(name);
    const evil = `'); DELETE FROM jobs; --`;
    const job = await q.add(evil, { evil, nested: { '"': "'" } }, { jobId: `id-${evil}` });
    const back = (await q.getJob(job.id!))!;
    expect(back.name).toBe(evil);
    expect(back.data).toEqual({ evil, nested: { '"': "'" } });
    expect(await q.getWaitingCount()).toBe(1);
  });

  it('round-trips an oversized (4 MB) payload and a 100,000-job bulk add in one transaction', async () => {
    const q = queue(uniqueName('big'));
    const blob = 'x'.repeat(4 * 1024 * 1024);
    const job = await q.add('big', { blob });
    expect((await q.getJob(job.id!))!.data.blob).toHaveLength(blob.length);
    const ids = (await q.addBulk(Array.from({ length: 100_000 }, (_, i) => ({ name: 'b', data: { i } })))).map((j) => j.id);
    expect(new Set(ids).size).toBe(100_000);
    expect(await q.getWaitingCount()).toBe(100_001);
  });

  it('survives rows corrupted behind its back: bad JSON reads as defaults, not a crash', async () => {
    const name = uniqueName('corrupt');
    const q = queue(name);
    const job = await q.add('c', { ok: true });
    const db = new DatabaseSync(file);
    db.prepare(`UPDATE jobs SET opts = '{not json', progress = '[[[' WHERE id = ?`).run(job.id!);
    db.close();
    const back = (await q.getJob(job.id!))!;
    expect(back.data).toEqual({ ok: true });
    expect(back.opts.priority ?? 0).toBe(0);
    expect(back.progress).toBe(0);
  });

  it('rejects completing a job with a foreign lock token, like Redis does', async () => {
    const name = uniqueName('lock');
    const q = queue(name);
    await q.add('l', {});
    const worker = new WorkerCtor(name, null, { connection: {} }, factory);
    open.push(worker);
    const job = await worker.getNextJob('token-a');
    await expect(job.moveToCompleted('x', 'token-b', false)).rejects.toThrow(`Lock mismatch for job ${job.id}`);
    await expect(job.extendLock('token-b', 1000)).resolves.toBe(0);
    await job.moveToCompleted('x', 'token-a', false);
    expect(await job.getState()).toBe('completed');
    await expect(job.moveToCompleted('x', 'token-a', false)).rejects.toThrow(/Missing lock|not in the active state/);
  });

  it('answers out-of-range and negative ranges with empty pages, and unknown states with an error', async () => {
    const q = queue(uniqueName('ranges'));
    const job = await q.add('r', {});
    await job.log('only line');
    expect(await q.getJobLogs(job.id!, 5, 10)).toEqual({ logs: [], count: 1 });
    expect(await q.getJobLogs(job.id!, -1, -1)).toEqual({ logs: ['only line'], count: 1 });
    expect(await q.getJobs(['completed'], 10, 20)).toEqual([]);
    expect(await q.getJobs(['waiting'], -5, -1)).toHaveLength(1);
    await expect(q.clean(0, 10, 'bogus' as never)).rejects.toThrow(/Unknown job state/);
  });

  it("bounds the event log at the queue's streams.events.maxLen", async () => {
    const name = uniqueName('trim');
    const q = new QueueCtor(name, { connection: {}, streams: { events: { maxLen: 50 } } }, factory);
    open.push(q);
    await q.waitUntilReady();
    await q.addBulk(Array.from({ length: 600 }, () => ({ name: 'e', data: {} })));
    const db = new DatabaseSync(file, { readOnly: true });
    const { n } = db.prepare('SELECT COUNT(*) AS n FROM events WHERE queue = ?').get(`bull:${name}`) as { n: number };
    db.close();
    // 1,200 events were written; trimming (every 512 appends) cut the log back to 50 twice.
    expect(n).toBeGreaterThanOrEqual(50);
    expect(n).toBeLessThan(300);
  });

  it('reports a missing parent instead of creating an orphan child', async () => {
    const q = queue(uniqueName('orphan'));
    await expect(q.add('child', {}, { parent: { id: 'nope', queue: 'bull:nothing-here' } })).rejects.toThrow(/Missing key for parent job/);
    expect(await q.getWaitingCount()).toBe(0);
  });
});
