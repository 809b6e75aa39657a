import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { createRedisTaskBackend, createTaskSystem, defineTask } from '../../src/tasks/index.ts';
import { deleteKeysMatching, SHARED_REDIS_URL } from '../support/redis.ts';

/** The deployment prefix (AI_STACK_REDIS_PREFIX, no trailing colon) is separated from the task keys: `ai-stack:bull:*`. */
describe('Redis task keys', () => {
  it.each([
    ['without', ''],
    ['with', ':'],
  ])('put a separator after a prefix %s a trailing colon', async (_, tail) => {
    const prefix = `test-prefix-${randomUUID().slice(0, 8)}`;
    const backend = createRedisTaskBackend({ url: SHARED_REDIS_URL, keyPrefix: prefix + tail });
    const noop = defineTask('prefix.noop', { queue: 'default', args: Type.Object({}) }, () => 1);
    const system = createTaskSystem({ backend, tasks: [noop] });
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      await system.send('prefix.noop', {});
      await backend.store.set('probe', '1');
      const [, keys] = await redis.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 10_000);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(key).toMatch(new RegExp(`^${prefix}:(bull|tasks):`));
    } finally {
      await system.close();
      await backend.close();
      await deleteKeysMatching(redis, `${prefix}*`);
      redis.disconnect();
    }
  });
});
