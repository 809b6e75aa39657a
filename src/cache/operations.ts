import type { CacheCore } from './core.ts';
import { wrapEntry } from './envelope.ts';
import { globToRegExp } from './glob.ts';

/**
 * Multi-step cache operations, kept apart from the Cache class so it stays a thin, readable API.
 * Each takes full (prefixed, versioned) keys.
 */

/** Gives an entry a new remaining lifetime (0 = stale now but graced); false when missing. */
export async function expireEntry(core: CacheCore, full: string, ttlMs: number): Promise<boolean> {
  const now = Date.now();
  const text = await core.l2('get', (d) => d.get(full));
  if (text === undefined) return false;
  const read = core.classify(text, now);
  if (read.state === 'raw') return core.l2('expire', (d) => d.expire(full, ttlMs === 0 ? 1 : ttlMs));
  if (read.state === 'absent') return false;
  const expiresAt = ttlMs === Infinity ? 0 : now + ttlMs;
  const payload = core.codec.encode(read.value);
  const graceMs = core.defaults.graceMs;
  await core.l2('expire', (d) => d.set(full, wrapEntry(expiresAt, payload), ttlMs === Infinity ? undefined : ttlMs + Math.max(graceMs, 1)));
  core.rememberL1(full, read.value, expiresAt, payload.length);
  await core.bus?.publish({ op: 'keys', keys: [full] });
  return true;
}

/** Remaining lifetime in ms; Infinity without expiry; undefined when missing or stale. */
export async function remainingTtl(core: CacheCore, full: string): Promise<number | undefined> {
  const now = Date.now();
  const text = await core.l2('get', (d) => d.get(full));
  if (text === undefined) return undefined;
  const read = core.classify(text, now);
  if (read.state === 'raw') {
    const ms = await core.l2('pttl', (d) => d.pttl(full));
    return ms === -1 ? Infinity : ms < 0 ? undefined : ms;
  }
  if (read.state !== 'fresh') return undefined;
  return read.expiresAt === 0 ? Infinity : read.expiresAt - now;
}

/** L1 first, then one MGET for the misses (refilling L1). */
export async function getManyEntries<T>(core: CacheCore, fulls: readonly string[]): Promise<(T | undefined)[]> {
  const now = Date.now();
  const out: (T | undefined)[] = new Array<T | undefined>(fulls.length);
  const missing: number[] = [];
  fulls.forEach((full, i) => {
    const hit = core.l1?.peek(full, now);
    if (hit !== undefined && (hit.expiresAt === 0 || hit.expiresAt > now)) {
      core.counters.l1Hits++;
      out[i] = hit.value as T;
    } else missing.push(i);
  });
  if (missing.length === 0) return out;
  core.counters.l1Misses += missing.length;
  const texts = await core.l2Soft(
    'mget',
    (d) => d.getMany(missing.map((i) => fulls[i] as string)),
    missing.map(() => undefined),
  );
  missing.forEach((index, j) => {
    const text = texts[j];
    const read = text === undefined ? ({ state: 'absent' } as const) : core.classify(text, now);
    const hit = core.acceptL2(fulls[index] as string, read);
    if (hit) out[index] = hit.value as T;
  });
  return out;
}

/** Removes every key of a namespace, all versions, in every process (SCAN + UNLINK). */
export async function clearNamespace(core: CacheCore, namespace: string): Promise<number> {
  const scope = `${core.keys.prefix}:${core.keys.hashTag ? `{${namespace}}` : namespace}:`;
  const scanning = core.need('scanning', 'clear()');
  core.l1?.deleteWhere((k) => k.startsWith(scope));
  const removed = await core.l2('clear', () => scanning.deleteMatching(core.keys.namespacePattern(namespace)));
  await core.bus?.publish({ op: 'prefix', prefix: scope });
  return removed;
}

/** Deletes keys matching `pattern` under `prefix` (a namespace prefix, glob-escaped here). */
export async function deleteByGlob(core: CacheCore, prefix: string, pattern: string): Promise<number> {
  const match = prefix.replace(/[*?[\]\\]/g, '\\$&') + pattern;
  const scanning = core.need('scanning', 'deleteByPattern()');
  const re = globToRegExp(match);
  core.l1?.deleteWhere((k) => re.test(k));
  const removed = await core.l2('delete', () => scanning.deleteMatching(match));
  await core.bus?.publish({ op: 'pattern', pattern: match });
  return removed;
}
