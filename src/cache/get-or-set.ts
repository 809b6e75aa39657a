import type { CacheCore } from './core.ts';
import type { GetOrSetOptions, LoaderContext } from './types.ts';
import { CacheLoaderTimeoutError } from './errors.ts';
import { parseDuration, type Duration } from './ttl.ts';
import { acquireOrWait, releaseLock } from './locks.ts';
import { assertTags } from './tags.ts';

export type Loader<T> = (ctx: LoaderContext<T>) => Promise<T> | T;

interface Resolved<T> {
  ttlMs: number;
  graceMs: number;
  tags: readonly string[];
  opts: GetOrSetOptions<T>;
  /** Index set of a tag in the caller's namespace (the loader may set tags). */
  tagKey: (tag: string) => string;
}

/**
 * getOrSet for one full key: L1 → in-flight load → L2 → (optional lease lock) → loader, with grace,
 * stale-while-revalidate and soft/hard timeouts. Returns the decoded value both tiers would return.
 */
export function getOrSetEntry<T>(core: CacheCore, full: string, loader: Loader<T>, r: Resolved<T>): Promise<T> {
  const now = Date.now();
  if (r.opts.forceRefresh !== true) {
    const hit = core.l1?.peek(full, now);
    if (hit !== undefined && (hit.expiresAt === 0 || hit.expiresAt > now)) {
      core.counters.l1Hits++;
      return Promise.resolve(hit.value as T);
    }
    core.counters.l1Misses++;
  }
  return core.loads.join<T>(full) ?? core.loads.track(full, resolveMiss(core, full, loader, r));
}

async function resolveMiss<T>(core: CacheCore, full: string, loader: Loader<T>, r: Resolved<T>): Promise<T> {
  const now = Date.now();
  let stale: { value: T } | undefined;
  const l1 = core.l1?.peek(full, now);
  if (l1 !== undefined) stale = { value: l1.value as T };
  if (r.opts.forceRefresh !== true) {
    const l2 = await core.readL2(full, now);
    const hit = core.acceptL2(full, l2);
    if (hit) return hit.value as T;
    if (l2.state === 'stale') stale ??= { value: l2.value as T };
  }
  const work = core.loads.shared(full, () => loadAndStore(core, full, loader, r, stale));
  if (stale !== undefined && r.opts.staleWhileRevalidate === true) {
    work.catch((error: unknown) => core.logger.warn({ err: error, key: full }, 'cache background refresh failed'));
    core.counters.gracedHits++;
    return stale.value;
  }
  return raceTimeouts(core, full, work, stale, r.opts);
}

async function raceTimeouts<T>(core: CacheCore, full: string, work: Promise<T>, stale: { value: T } | undefined, opts: GetOrSetOptions<T>): Promise<T> {
  const softMs = stale !== undefined && opts.softTimeout !== undefined ? parseDuration(opts.softTimeout, 'softTimeout') : undefined;
  const hardMs = opts.hardTimeout !== undefined ? parseDuration(opts.hardTimeout, 'hardTimeout') : undefined;
  const timers: NodeJS.Timeout[] = [];
  const after = (ms: number, fn: () => T): Promise<T> =>
    new Promise((resolve, reject) => {
      timers.push(
        setTimeout(() => {
          try {
            resolve(fn());
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        }, ms),
      );
    });
  const serveStale = (): T => {
    core.counters.gracedHits++;
    return (stale as { value: T }).value;
  };
  const contenders: Promise<T>[] = [
    work.catch((error: unknown) => {
      core.counters.loaderErrors++;
      if (stale === undefined) throw error;
      core.logger.warn({ err: error, key: full }, 'cache loader failed; serving the graced value');
      return serveStale();
    }),
  ];
  if (softMs !== undefined) contenders.push(after(softMs, serveStale));
  if (hardMs !== undefined)
    contenders.push(
      after(hardMs, () => {
        if (stale !== undefined) return serveStale();
        throw new CacheLoaderTimeoutError(full, hardMs);
      }),
    );
  if (contenders.length > 1) work.catch(() => {}); // the load may outlive the caller; its failure is already counted
  try {
    return await Promise.race(contenders);
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

async function loadAndStore<T>(core: CacheCore, full: string, loader: Loader<T>, r: Resolved<T>, stale: { value: T } | undefined): Promise<T> {
  const lock = r.opts.lock === undefined || r.opts.lock === false ? undefined : r.opts.lock === true ? {} : r.opts.lock;
  let token: string | undefined;
  if (lock !== undefined) {
    const outcome = await acquireOrWait(core, full, lock.ttl, lock.waitTimeout, r.opts.forceRefresh !== true);
    if ('value' in outcome) return outcome.value as T;
    token = outcome.token;
  }
  try {
    let ttlMs = r.ttlMs;
    let tags = r.tags;
    let skipped = false;
    const ctx: LoaderContext<T> = {
      key: full,
      stale: stale?.value,
      setTtl: (ttl: Duration) => {
        ttlMs = parseDuration(ttl);
      },
      setTags: (t: readonly string[]) => {
        tags = t;
      },
      skip: () => {
        skipped = true;
      },
    };
    core.counters.loaderCalls++;
    const started = performance.now();
    const value = await loader(ctx);
    core.histograms.observeLoader((performance.now() - started) / 1000);
    if (skipped || (r.opts.shouldCache !== undefined && !r.opts.shouldCache(value))) return value;
    return (await core.write(full, value, ttlMs, r.graceMs, assertTags(tags).map(r.tagKey))) as T;
  } finally {
    if (token !== undefined) await releaseLock(core, full, token);
  }
}
