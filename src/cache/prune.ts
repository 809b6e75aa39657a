import type { CacheCore } from './core.ts';
import type { PruneResult } from './types.ts';
import { pruneTagIndex } from './tags.ts';

/**
 * Maintenance pass: L1 entries past their grace window are dropped (expiry is lazy, so idle keys
 * would otherwise sit there until evicted), and tag-index sets lose members whose entry is gone.
 */
export async function pruneCache(core: CacheCore): Promise<PruneResult> {
  const l1Expired = core.l1?.prune(Date.now()) ?? 0;
  return { l1Expired, tagIndexEntriesRemoved: await pruneTagIndex(core) };
}
