// The one task both sides of the Celery comparison run, in the same words as celery_bench.py's:
// a Redis pipeline that counts the job, stamps the first start and records enqueue→start latency.
import type { Redis } from 'ioredis';
import { Type } from 'typebox';
import { createRedisTaskBackend, createTaskSystem, defineTask, type TaskBackend, type TaskSystem } from '../../src/tasks/index.ts';

export const QUEUE = 'bench';

export function recordStart(redis: Redis, key: string, enqueuedMs: number): Promise<unknown> {
  const started = Date.now();
  return redis
    .pipeline()
    .incr(`${key}:done`)
    .set(`${key}:first`, String(started), 'NX')
    .rpush(`${key}:lat`, String(started - enqueuedMs))
    .exec();
}

export function benchTaskSystem(
  url: string,
  prefix: string,
  redis: Redis | undefined,
): { system: TaskSystem; backend: TaskBackend; task: ReturnType<typeof defineNoop> } {
  const backend = createRedisTaskBackend({ url, keyPrefix: prefix });
  const task = defineNoop(redis);
  return { system: createTaskSystem({ backend, tasks: [task], queues: [QUEUE] }), backend, task };
}

function defineNoop(redis: Redis | undefined) {
  return defineTask('bench.noop', { queue: QUEUE, args: Type.Object({ t: Type.Number(), key: Type.String() }) }, async ({ t, key }) => {
    if (!redis) throw new Error('the producer never runs the task');
    await recordStart(redis, key, t);
    return null;
  });
}
