import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowProducer, Queue, QueueEvents, Worker, type BackendFactory, type Processor, type QueueOptions, type WorkerOptions } from 'bullmq';
import { createSqliteQueueBackendFactory, type SqliteQueueBackendFactory } from '../../../../src/tasks/backends/sqlite/index.ts';
import { deleteKeysMatching, SHARED_REDIS_URL } from '../../../support/redis.ts';

/** One backend under test: builds BullMQ objects on it and tears everything down afterwards. */
export interface QueueEnv {
  label: string;
  queue(name: string, opts?: Partial<QueueOptions>): Queue;
  worker(name: string, processor: Processor, opts?: Partial<WorkerOptions>): Worker;
  flow(): FlowProducer;
  events(name: string): Promise<QueueEvents>;
  close(): Promise<void>;
}

type Closable = { close(): Promise<void> };

// The constructors' generics tie each instance to a backend type; both backends here are driven
// through the same IQueueBackend seam, so the tests build them untyped and use the public API.
type Ctor<T> = new (...args: unknown[]) => T;
const QueueCtor = Queue as unknown as Ctor<Queue>;
const WorkerCtor = Worker as unknown as Ctor<Worker>;
const FlowCtor = FlowProducer as unknown as Ctor<FlowProducer>;
const EventsCtor = QueueEvents as unknown as Ctor<QueueEvents>;

function makeEnv(label: string, base: Record<string, unknown>, factory: BackendFactory | undefined, after: () => Promise<void>): QueueEnv {
  const open: Closable[] = [];
  const track = <T extends Closable>(thing: T): T => {
    open.push(thing);
    return thing;
  };
  return {
    label,
    queue: (name, opts = {}) => track(new QueueCtor(name, { ...base, ...opts }, factory)),
    worker: (name, processor, opts = {}) => track(new WorkerCtor(name, processor, { ...base, drainDelay: 1, ...opts }, factory)),
    flow: () => track(new FlowCtor({ ...base }, factory)),
    events: async (name) => {
      const events = track(new EventsCtor(name, { ...base, blockingTimeout: 200 }, factory));
      await events.waitUntilReady();
      // QueueEvents reads "from now" once its first read is issued; give it that first turn.
      await new Promise((resolve) => setTimeout(resolve, 50));
      return events;
    },
    close: async () => {
      for (const thing of open.reverse()) {
        await thing.close().catch(() => undefined);
      }
      await after();
    },
  };
}

export function sqliteEnv(): QueueEnv & { factory: SqliteQueueBackendFactory; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-sqlite-queue-'));
  const file = join(dir, 'queue.db');
  const factory = createSqliteQueueBackendFactory({ file, pollIntervalMs: 20 });
  const env = makeEnv('sqlite', { connection: {} }, factory, async () => {
    await factory.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return Object.assign(env, { factory, file });
}

export const REDIS = { host: '127.0.0.1', port: 6379 };

/** BullMQ's own Redis backend under a random key prefix; removes every key it created. */
export function redisEnv(): QueueEnv {
  const prefix = `t-sqlite-parity-${randomUUID().slice(0, 8)}`;
  return makeEnv('redis', { connection: REDIS, prefix }, undefined, async () => {
    await deleteKeysMatching(SHARED_REDIS_URL, `${prefix}:*`);
  });
}

export { uniqueName } from '../../../support/names.ts';
export { eventually as until } from '../../../support/wait.ts';
