import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSqliteTaskBackend } from '../../src/tasks/backends/sqlite/index.ts';
import {
  createRedisTaskBackend,
  estimateRemainingMs,
  liveEventsRoutes,
  startWorkers,
  tasksAdminRoutes,
  type TaskBackend,
  type TaskSystem,
  type WorkerPool,
} from '../../src/tasks/index.ts';
import { readProgress, toProgress } from '../../src/tasks/progress.ts';
import { closeTaskService, openTaskService } from '../support/task-service.ts';
import { eventually } from '../support/wait.ts';
import { badProgress, gates, stepped, threaded } from './fixtures/progress-tasks.ts';
import { REDIS_URL } from './fixtures/redis.ts';

describe('progress values', () => {
  it('normalises fractions and counts, clamps, keeps a short message and rejects what is not a number', () => {
    expect(toProgress(0.25, 'x', 10)).toEqual({ fraction: 0.25, message: 'x', at: 10 });
    expect(toProgress({ done: 3, total: 4 }, undefined, 10)).toEqual({ fraction: 0.75, done: 3, total: 4, at: 10 });
    expect(toProgress({ done: 0, total: 0 }, undefined, 1).fraction).toBe(1);
    expect(toProgress(7, undefined, 1).fraction).toBe(1);
    expect(toProgress(-1, undefined, 1).fraction).toBe(0);
    expect(toProgress(0.5, 'm'.repeat(5000), 1).message).toHaveLength(200);
    expect(() => toProgress(Number.NaN, undefined)).toThrow(/finite/);
    expect(() => toProgress({ done: -1, total: 3 }, undefined)).toThrow(/non-negative/);
    expect(() => toProgress({ done: 1, total: Number.POSITIVE_INFINITY }, undefined)).toThrow(/finite/);
  });

  it('reads stored progress defensively: ours, a bare percentage, or nothing', () => {
    expect(readProgress({ fraction: 0.5, message: 'm', at: 5 })).toEqual({ fraction: 0.5, message: 'm', at: 5 });
    expect(readProgress(40)).toEqual({ fraction: 0.4, at: 0 });
    expect(readProgress('<script>')).toBeUndefined();
    expect(readProgress({ fraction: 'x' })).toBeUndefined();
    expect(readProgress(null)).toBeUndefined();
  });

  it('extrapolates the time left linearly from the start of the run', () => {
    expect(estimateRemainingMs({ fraction: 0.25, at: 1_000 }, 0)).toBe(3_000);
    expect(estimateRemainingMs({ fraction: 0, at: 1_000 }, 0)).toBeUndefined();
    expect(estimateRemainingMs({ fraction: 1, at: 1_000 }, 0)).toBeUndefined();
    expect(estimateRemainingMs(undefined, 0)).toBeUndefined();
  });
});

interface SseEvent {
  event: string;
  data: { id?: string; state?: string; progress?: { fraction: number; done?: number; message?: string; remainingMs?: number } } & Record<string, unknown>;
}

/** Reads a server-sent event stream over real HTTP, collecting parsed events. */
async function listen(url: string): Promise<{ events: SseEvent[]; status: number; type: string | null; close(): void }> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
  const events: SseEvent[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as SseEvent['data'] });
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return { events, status: res.status, type: res.headers.get('content-type'), close: () => controller.abort() };
}

const dir = mkdtempSync(join(tmpdir(), 'ai-stack-progress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BACKENDS: Record<string, () => TaskBackend> = {
  sqlite: () => createSqliteTaskBackend({ file: join(dir, `${randomUUID()}.db`), pollIntervalMs: 20 }),
  redis: () => createRedisTaskBackend({ url: REDIS_URL, keyPrefix: `test:progress:${randomUUID().slice(0, 8)}:` }),
};

describe.each(Object.keys(BACKENDS))('task progress and live events (%s)', (kind) => {
  let backend: TaskBackend;
  let system: TaskSystem;
  let pool: WorkerPool;
  let app: FastifyInstance;
  let base: string;
  /** What the `tally` state event reads: changed by a test to see the change pushed. */
  let tally = 0;

  async function open(): Promise<void> {
    backend = BACKENDS[kind]!();
    ({ system, app } = await openTaskService({
      backend,
      tasks: [stepped, threaded, badProgress],
      routes: (tasks) => [
        tasksAdminRoutes(tasks),
        liveEventsRoutes(tasks, {
          intervalMs: 50,
          readiness: async () => ({ status: 'ready' }),
          states: {
            tally: async () => ({ tally }),
            broken: async () => {
              throw new Error('the source is down');
            },
          },
        }),
      ],
    }));
    pool = await startWorkers(system, { queues: ['documents'], concurrency: 4, heartbeatMs: 200 });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  }

  afterEach(async () => {
    for (const open of gates.values()) open();
    gates.clear();
    await closeTaskService({ backend, system, app }, pool);
  });

  it('stores ctx.progress with the job, shows it with a time-left estimate, and pushes it and the final state as events', async () => {
    await open();
    const stream = await listen(`${base}/admin/events`);
    expect(stream.status).toBe(200);
    expect(stream.type).toContain('text/event-stream');
    const tag = randomUUID();
    const handle = await system.task(stepped).delay({ tag });
    await eventually(() => gates.has(tag), 15_000, 'the task to start');

    let detail = (await app.inject(`/admin/tasks/jobs/${handle.id}`)).json();
    await eventually(
      async () => {
        detail = (await app.inject(`/admin/tasks/jobs/${handle.id}`)).json();
        return detail.progress !== undefined;
      },
      15_000,
      'progress on the job',
    );
    expect(detail.state).toBe('active');
    expect(detail.progress).toMatchObject({ fraction: 0.25, done: 1, total: 4, message: 'extract' });
    expect(detail.progress.at).toBeGreaterThanOrEqual(detail.startedAt);

    await eventually(
      () => stream.events.some((e) => e.event === 'job' && e.data.id === handle.id && e.data.progress?.fraction === 0.25),
      15_000,
      'the progress event',
    );
    expect(stream.events.some((e) => e.event === 'queues')).toBe(true);
    expect(stream.events.find((e) => e.event === 'readiness')?.data).toEqual({ status: 'ready' });
    // Further state events: one that fails still arrives (as its error); one that changes is pushed again, once.
    expect(stream.events.find((e) => e.event === 'broken')?.data).toEqual({ error: 'the source is down' });
    tally = 1;
    await eventually(() => stream.events.some((e) => e.event === 'tally' && e.data.tally === 1), 15_000, 'the changed state event');
    expect(stream.events.filter((e) => e.event === 'tally').map((e) => e.data.tally)).toEqual([0, 1]);
    expect(stream.events.filter((e) => e.event === 'broken')).toHaveLength(1);
    tally = 0;

    gates.get(tag)!();
    expect(await handle.get({ timeout: 15_000 })).toBe(tag);
    await eventually(
      () => stream.events.some((e) => e.event === 'job' && e.data.id === handle.id && e.data.state === 'completed'),
      15_000,
      'the completed event',
    );
    const last = stream.events.filter((e) => e.event === 'job' && e.data.id === handle.id).at(-1)!;
    expect(last.data.progress).toMatchObject({ fraction: 1, message: 'done' });
    expect(last.data.progress?.remainingMs).toBeUndefined();
    stream.close();
  }, 60_000);

  it('relays progress from a task running in a worker thread, and fails a task that reports a non-number', async () => {
    await open();
    const handle = await system.task(threaded).delay({ ms: 1_500 });
    await eventually(async () => (await app.inject(`/admin/tasks/jobs/${handle.id}`)).json().progress?.message === 'half', 20_000, 'thread progress');
    expect((await app.inject(`/admin/tasks/jobs/${handle.id}`)).json().progress.fraction).toBe(0.5);
    expect(await handle.get({ timeout: 20_000 })).toBe('ok');

    const bad = await system.task(badProgress).delay({});
    await expect(bad.get({ timeout: 15_000 })).rejects.toThrow(/finite/);
  }, 60_000);
});
