import type { CacheCore } from './core.ts';
import type { KeyStrategy } from './keys.ts';
import type { SetDriver } from './driver.ts';
import { ValidationError } from '../shared/errors.ts';

/**
 * Tags: each tag of a namespace has an index set (`<prefix>:__tag:<ns>:<tag>`) listing the full keys
 * written with it. deleteByTag() pops the set and deletes its members; prune() drops members whose
 * entry is gone. Needs the driver's "sets" capability.
 */
const MAX_TAGS = 64;
/** Members popped per round of deleteByTag. */
const POP_BATCH = 1000;
/** Keys and members per SCAN/SSCAN page of prune. */
const PRUNE_BATCH = 500;

/** Validates tags given by a caller: an array of at most 64 strings of 1-256 characters. */
export function assertTags(tags: readonly string[] | undefined): readonly string[] {
  if (tags === undefined) return [];
  const list: unknown = tags;
  if (!Array.isArray(list) || list.length > MAX_TAGS) throw new ValidationError(`tags must be an array of at most ${MAX_TAGS}`);
  for (const t of tags) if (typeof t !== 'string' || t.length === 0 || t.length > 256) throw new ValidationError('each tag must be a 1-256 character string');
  return tags;
}

export function tagIndexKey(keys: KeyStrategy, namespace: string, tag: string): string {
  return keys.internal('tag', `${namespace}:${tag}`);
}

/** Adds written keys to their tags' index sets (one SADD per tag). */
export async function indexTagged(sets: SetDriver, byTagKey: ReadonlyMap<string, readonly string[]>): Promise<void> {
  for (const [tagKey, members] of byTagKey) await sets.sAdd(tagKey, members);
}

/**
 * Pops a tag's members in batches and removes their entries, until the set is gone. Reading the set
 * whole (SMEMBERS) and deleting it afterwards would hold a huge tag in memory and, worse, drop the
 * membership of entries tagged meanwhile: they would survive every later purge of the tag. Popping
 * only ever removes members it also invalidates.
 */
export async function deleteTagged(core: CacheCore, tagKeys: readonly string[]): Promise<number> {
  const sets = core.need('sets', 'deleteByTag()');
  let removed = 0;
  for (const tagKey of tagKeys) {
    for (;;) {
      const members = await core.l2('spop', () => sets.sPop(tagKey, POP_BATCH));
      if (members.length === 0) break;
      removed += await core.remove(members);
    }
  }
  return removed;
}

/**
 * Removes tag-index members whose entry is gone (expired, cleared or deleted by pattern); sets that
 * become empty disappear. SCAN for the sets, SSCAN through each, so a tag of millions of keys never
 * sits in memory whole. Returns how many members were removed.
 */
export async function pruneTagIndex(core: CacheCore): Promise<number> {
  const sets = core.caps.sets;
  if (sets === null) return 0; // no sets, no tag index to sweep
  const scanning = core.need('scanning', 'prune() of the tag index');
  const match = `${core.keys.internal('tag', '')}*`;
  let removed = 0;
  let cursor = '0';
  do {
    const page = await core.l2('scan', () => scanning.scan(match, cursor, PRUNE_BATCH));
    cursor = page.cursor;
    for (const tagKey of page.keys) {
      let setCursor = '0';
      do {
        const setPage = await core.l2('sscan', () => sets.sScan(tagKey, setCursor, PRUNE_BATCH));
        setCursor = setPage.cursor;
        const chunk = setPage.members;
        if (chunk.length === 0) continue;
        const values = await core.l2('mget', (d) => d.getMany(chunk));
        const gone = chunk.filter((_, j) => values[j] === undefined);
        if (gone.length > 0) removed += await core.l2('srem', () => sets.sRem(tagKey, gone));
      } while (setCursor !== '0');
    }
  } while (cursor !== '0');
  return removed;
}
