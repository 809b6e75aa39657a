import { vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteKeysMatching } from '../support/redis.ts';
export { ThrowawayRedis } from '../support/redis.ts';
export { freePort } from '../support/process.ts';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** A key prefix no other test (or engineer) uses. */
export function randomPrefix(label = 't'): string {
  return `aitest-cache-${label}-${randomBytes(5).toString('hex')}`;
}

/** Deletes everything a test wrote under its prefix (SCAN, never FLUSH*). */
export async function dropPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  await deleteKeysMatching(url, `${prefix}:*`);
}

export function rawClient(url = REDIS_URL): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 });
}

/**
 * An injected clock for TTL tests: freezes `Date` only (timers, promises and I/O run for real), so
 * an entry is fresh or stale because the test moved the clock, not because the machine was slow.
 * The cache reads expiry from Date.now(); Redis's own physical TTLs are only ever longer.
 */
export function frozenClock(): { advance(ms: number): void; restore(): void } {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  return {
    advance: (ms) => vi.setSystemTime(Date.now() + ms),
    restore: () => vi.useRealTimers(),
  };
}
