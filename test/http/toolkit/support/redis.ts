import type { Redis } from 'ioredis';
import { deleteKeysMatching, ThrowawayRedis } from '../../../support/redis.ts';

export { SHARED_REDIS_URL } from '../../../support/redis.ts';

/** Deletes every key under a test's own prefix (never FLUSHDB: the Redis is shared). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  await deleteKeysMatching(redis, `${prefix}*`);
}

/** A private, throwaway redis-server for tests that flush scripts or kill the server. */
export const startThrowawayRedis = (): Promise<ThrowawayRedis> => ThrowawayRedis.start();
