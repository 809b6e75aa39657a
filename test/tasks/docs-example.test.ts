// The quick-start example of docs/tasks.md, run as written (with a test key prefix and cleanup).
import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import { expect, it } from 'vitest';
import { createRedisTaskBackend, createTaskSystem, defineTask, startWorkers, TaskArgumentsError } from '../../src/tasks/index.ts';
import { REDIS_URL } from './fixtures/redis.ts';

export const add = defineTask(
  'reports.add',
  {
    queue: 'reports',
    args: Type.Object({ a: Type.Number(), b: Type.Number() }, { additionalProperties: false }),
    retries: { max: 3, backoff: { delayMs: 1_000, maxMs: 60_000 } },
  },
  ({ a, b }) => a + b,
);

it('docs/tasks.md quick start works as written', async () => {
  const backend = createRedisTaskBackend({ url: REDIS_URL, keyPrefix: `test:tasks:${randomUUID().slice(0, 8)}:` });
  const system = createTaskSystem({ backend, tasks: [add] });
  const workers = await startWorkers(system, { queues: ['reports'], concurrency: 10 });
  try {
    const handle = await system.task(add).delay({ a: 2, b: 3 });
    expect(await handle.get({ timeout: 5_000 })).toBe(5);
    expect(await system.result(handle.id).get()).toBe(5);
    await expect(system.task(add).delay({ a: 2, b: '3' } as never)).rejects.toBeInstanceOf(TaskArgumentsError);
  } finally {
    await workers.close();
    // result(id) without a queue looks through every known queue, which opens them all.
    for (const q of system.queueNames) await system.queue(q).obliterate({ force: true });
    for (const { key } of await backend.store.scan('')) await backend.store.delete(key);
    await system.close();
    await backend.close();
  }
});
