import { Type } from 'typebox';
import { defineTask, type TaskDefinition } from '../define.ts';
import type { ScheduleSpec } from '../scheduler.ts';

/** The one thing this task needs from the cache module (its `cache.prune()`), structurally. */
export interface PrunableCache {
  prune(): Promise<{ l1Expired: number; tagIndexEntriesRemoved: number }>;
}

export const CLEANUP_CACHE_TASK = 'sync.cleanup_cache';

/** `sync.cleanup_cache`: drops expired L1 entries and dangling tag-index entries. */
export function createCleanupCacheTask(cache: PrunableCache): TaskDefinition<Record<string, never>, { l1Expired: number; tagIndexEntriesRemoved: number }> {
  return defineTask(
    CLEANUP_CACHE_TASK,
    { queue: 'sync', args: Type.Object({}, { additionalProperties: false }), retries: { max: 2, backoff: { delayMs: 5_000 } }, timeLimit: { soft: 60_000 } },
    async () => cache.prune(),
  ) as TaskDefinition<Record<string, never>, { l1Expired: number; tagIndexEntriesRemoved: number }>;
}

/** Every 10 minutes, like the original system's beat entry. */
export const cleanupCacheSchedule: ScheduleSpec = { id: 'sync.cleanup_cache.every-10m', task: CLEANUP_CACHE_TASK, args: {}, every: 10 * 60_000 };
