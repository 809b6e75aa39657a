import type { CacheCore } from './core.ts';
import type { PruneResult } from './types.ts';

const BATCH = 500;

/**
 * Maintenance pass: L1 entries past their grace window are dropped (expiry is lazy, so idle keys
 * would otherwise sit there until evicted), and tag-index sets lose members whose entry is gone
 * (expired, cleared or deleted by pattern), deleting sets that become empty. SCAN-based, bounded batches.
 */
export async function pruneCache(core: CacheCore): Promise<PruneResult> {
  const l1Expired = core.l1?.prune(Date.now()) ?? 0;
  let tagIndexEntriesRemoved = 0;
  const match = `${core.keys.internal('tag', '')}*`;
  let cursor = '0';
  do {
    const page = await core.l2('scan', (d) => d.scan(match, cursor, BATCH));
    cursor = page.cursor;
    for (const tagKey of page.keys) {
      // Page through the set (SSCAN): a tag of millions of keys never sits in memory whole.
      let setCursor = '0';
      do {
        const setPage = await core.l2('sscan', (d) => d.sScan(tagKey, setCursor, BATCH));
        setCursor = setPage.cursor;
        const chunk = setPage.members;
        if (chunk.length === 0) continue;
        const values = await core.l2('mget', (d) => d.getMany(chunk));
        const gone = chunk.filter((_, j) => values[j] === undefined);
        if (gone.length > 0) tagIndexEntriesRemoved += await core.l2('srem', (d) => d.sRem(tagKey, gone));
      } while (setCursor !== '0');
    }
  } while (cursor !== '0');
  return { l1Expired, tagIndexEntriesRemoved };
}
