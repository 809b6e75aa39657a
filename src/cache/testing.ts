/**
 * ai-stack/cache/testing — the conformance suite every cache driver must pass (BentoCache's
 * `test_suite` idea), exported so a third-party driver can prove itself against the same contract
 * our memory and Redis drivers pass. It needs no test framework of its own: pass your runner's
 * `describe`/`it`/`beforeAll`/`afterAll` (vitest: `import * as vitest from 'vitest'`); assertions
 * use node:assert. The core contract is always tested, and so is each optional capability the driver
 * declares (see driver.ts); the driver must offer exactly the capabilities it declares, so a
 * capability cannot slip out of the cache (or out of the tests) unnoticed. No test waits on a
 * sleep: expiry is awaited by polling with a deadline.
 */
import assert from 'node:assert/strict';
import { capabilitiesOf, type Capability, type CacheDriver, type FullCacheDriver } from './driver.ts';
import { ValidationError } from '../shared/errors.ts';

export interface SuiteRunner {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => Promise<void>): void;
  beforeAll(fn: () => Promise<void>): void;
  afterAll(fn: () => Promise<void>): void;
}

export interface DriverHarness {
  driver: CacheDriver;
  /** Prefix every key of the run starts with (so the driver can share a server with others). */
  prefix: string;
  cleanup(): Promise<void>;
}

export interface DriverSuiteOptions {
  name: string;
  create(): Promise<DriverHarness>;
  /** The optional capabilities the driver offers (all five for a full driver, [] for a plain key-value store). */
  capabilities: readonly Capability[];
}

/** Polls until `check` holds: waits on behaviour, never on a fixed sleep (CI machines are noisy). */
async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits until the wall clock has moved past `ms` after `since` (so a TTL of `ms` has run out). */
const clockPast = (since: number, ms: number): Promise<void> => eventually(() => Date.now() > since + ms, `${ms} ms to pass`);

export function cacheDriverSuite(t: SuiteRunner, options: DriverSuiteOptions): void {
  t.describe(`cache driver conformance: ${options.name}`, () => {
    const state: { h?: DriverHarness } = {};
    const h = (): DriverHarness => state.h as DriverHarness;
    const d = (): CacheDriver => h().driver;
    const k = (s: string): string => `${h().prefix}:${s}`;
    const declared = new Set(options.capabilities);
    t.beforeAll(async () => {
      state.h = await options.create();
    });
    t.afterAll(async () => {
      await state.h?.cleanup();
    });

    t.it('offers exactly the capabilities it declares', async () => {
      const offered = capabilitiesOf(d());
      const names = (Object.keys(offered) as Capability[]).filter((c) => offered[c] !== null).sort();
      assert.deepEqual(names, [...declared].sort(), 'a capability counts only when all of its methods are there');
    });

    registerCore(t, d, k);
    if (declared.has('scanning')) registerScanning(t, d, k, h, declared);
    if (declared.has('counters')) registerCounters(t, d, k);
    if (declared.has('sets')) registerSets(t, d, k);
    if (declared.has('hashes')) registerHashes(t, d, k, declared);
    if (declared.has('locks')) registerLocks(t, d, k);
  });
}

type D = () => CacheDriver;
type K = (s: string) => string;
type Declared = ReadonlySet<Capability>;
// Capability tests run only for declared capabilities, which the first test checks are offered.
const full = (d: D): FullCacheDriver => d() as FullCacheDriver;

function registerCore(t: SuiteRunner, d: D, k: K): void {
  t.it('get/set/delete/exists', async () => {
    assert.equal(await d().get(k('a')), undefined);
    await d().set(k('a'), '1');
    assert.equal(await d().get(k('a')), '1');
    assert.equal(await d().exists(k('a')), true);
    assert.equal(await d().delete([k('a'), k('nope')]), 1);
    assert.equal(await d().exists(k('a')), false);
  });

  t.it('expires keys and reports pttl (-1 persistent, -2 missing)', async () => {
    const written = Date.now();
    await d().set(k('ttl'), 'x', 40);
    await d().set(k('persist'), 'x');
    const ms = await d().pttl(k('ttl'));
    assert.ok(ms <= 40, `pttl ${ms} <= 40`);
    assert.equal(await d().pttl(k('persist')), -1);
    assert.equal(await d().pttl(k('missing')), -2);
    await clockPast(written, 40);
    await eventually(async () => (await d().get(k('ttl'))) === undefined, 'the key to expire');
    assert.equal(await d().pttl(k('ttl')), -2);
    assert.equal(await d().get(k('persist')), 'x');
  });

  t.it('accepts TTLs beyond 2^31-1 ms', async () => {
    const written = Date.now();
    await d().set(k('long'), 'x', 40 * 86_400_000);
    await clockPast(written, 2);
    assert.equal(await d().get(k('long')), 'x');
    assert.ok((await d().pttl(k('long'))) > 2 ** 31);
  });

  t.it('expire sets and removes TTLs', async () => {
    await d().set(k('e'), 'x');
    assert.equal(await d().expire(k('e'), 10_000), true);
    assert.ok((await d().pttl(k('e'))) > 0);
    assert.equal(await d().expire(k('e'), undefined), true);
    assert.equal(await d().pttl(k('e')), -1);
    assert.equal(await d().expire(k('none'), 1000), false);
  });

  t.it('getMany/setMany keep order and report misses', async () => {
    await d().setMany([
      { key: k('m1'), value: 'a' },
      { key: k('m2'), value: 'b', ttlMs: 10_000 },
    ]);
    assert.deepEqual(await d().getMany([k('m2'), k('mx'), k('m1')]), ['b', undefined, 'a']);
    assert.deepEqual(await d().getMany([]), []);
  });

  t.it('add only writes absent keys', async () => {
    assert.equal(await d().add(k('add'), '1', 10_000), true);
    assert.equal(await d().add(k('add'), '2'), false);
    assert.equal(await d().get(k('add')), '1');
  });

  t.it('stores binary-looking, unicode and large values byte-exactly', async () => {
    const weird = '\u0000\u0002\uffff😀 \r\n' + 'x'.repeat(1024 * 1024);
    await d().set(k('big-value'), weird);
    assert.equal(await d().get(k('big-value')), weird);
    await d().set(k('ключ 🔑'), 'v');
    assert.equal(await d().get(k('ключ 🔑')), 'v');
  });

  t.it('ping answers', async () => {
    assert.equal(await d().ping(), undefined);
  });
}

function registerCounters(t: SuiteRunner, d: D, k: K): void {
  t.it('[counters] incrBy is atomic, sets TTL only on creation, and rejects non-integers', async () => {
    const c = full(d);
    assert.equal(await c.incrBy(k('n'), 5, 10_000), 5);
    assert.equal(await c.incrBy(k('n'), -2), 3);
    await Promise.all(Array.from({ length: 20 }, () => c.incrBy(k('n'), 1)));
    assert.equal(await c.get(k('n')), '23');
    assert.ok((await c.pttl(k('n'))) > 0);
    await c.set(k('s'), 'text');
    await assert.rejects(c.incrBy(k('s'), 1), ValidationError);
    await assert.rejects(c.incrBy(k('n'), 1.5), ValidationError);
  });
}

async function walk(d: D, match: string, count: number, between?: (round: number) => Promise<void>): Promise<Set<string>> {
  const seen = new Set<string>();
  let cursor = '0';
  let round = 0;
  do {
    const page = await full(d).scan(match, cursor, count);
    page.keys.forEach((key) => seen.add(key));
    cursor = page.cursor;
    await between?.(++round);
  } while (cursor !== '0');
  return seen;
}

function registerScanning(t: SuiteRunner, d: D, k: K, h: () => DriverHarness, declared: Declared): void {
  t.it('[scanning] scan pages through matching keys and deleteMatching removes them', async () => {
    for (let i = 0; i < 30; i++) await d().set(k(`scan:${i}`), String(i));
    await d().set(k('other:1'), 'x');
    assert.equal((await walk(d, `${h().prefix}:scan:*`, 7)).size, 30);
    assert.equal(await full(d).deleteMatching(`${h().prefix}:scan:*`), 30);
    assert.equal(await d().get(k('other:1')), 'x');
  });

  t.it('[scanning] scan yields every live key when expired keys sit between them', async () => {
    // 250 live keys with 50 expired ones interleaved (every sixth key), walked in small pages.
    const live = new Set<string>();
    for (let i = 0; i < 300; i++) {
      if (i % 6 === 5) await d().set(k(`mixed:${i}`), 'gone', 1);
      else {
        await d().set(k(`mixed:${i}`), 'here');
        live.add(k(`mixed:${i}`));
      }
    }
    await clockPast(Date.now(), 1);
    assert.deepEqual(await walk(d, `${h().prefix}:mixed:*`, 10), live);
    // Expired keys are gone already: a pattern delete counts only the live ones.
    assert.equal(await full(d).deleteMatching(`${h().prefix}:mixed:*`), live.size);
  });

  t.it('[scanning] scan yields a key present for the whole walk while others are read, written and deleted between pages', async () => {
    const keys = Array.from({ length: 120 }, (_, i) => k(`walk:${i}`));
    for (const key of keys) await d().set(key, 'v');
    const stable = keys.filter((_, i) => i % 3 !== 0);
    const seen = await walk(d, `${h().prefix}:walk:*`, 10, async (round) => {
      // Delete some keys, read keys not yet seen (an LRU reorders on read), add new ones.
      await d().delete(keys.filter((_, i) => i % 3 === 0 && i % 40 === round % 40));
      await d().getMany(keys.slice(0, 20));
      await d().get(keys[(20 + round) % keys.length] as string);
      await d().get(keys[keys.length - 1 - (round % keys.length)] as string);
      await d().set(k(`walk:new:${round}`), 'n');
    });
    for (const key of stable) assert.ok(seen.has(key), `${key} was never yielded`);
  });

  t.it('[scanning] refuses a malformed cursor as a data error, not an outage', async () => {
    await assert.rejects(full(d).scan(`${h().prefix}:*`, 'not-a-cursor', 10), ValidationError);
  });

  t.it('[scanning] treats glob metacharacters in keys literally when escaped', async () => {
    await d().set(k('lit*eral'), 'x');
    await d().set(k('litXeral'), 'y');
    assert.equal(await full(d).deleteMatching(`${h().prefix}:lit\\*eral`), 1);
    assert.equal(await d().get(k('litXeral')), 'y');
  });

  t.it('[scanning] info reports type, ttl and size', async () => {
    const c = full(d);
    await c.set(k('i1'), 'hello', 10_000);
    if (declared.has('sets')) await c.sAdd(k('i2'), ['a']);
    if (declared.has('hashes')) await c.hSet(k('i3'), { f: 'v' });
    const [s, set, hash, none] = await c.info([k('i1'), k('i2'), k('i3'), k('i4')]);
    assert.equal(s?.type, 'string');
    assert.ok((s?.ttlMs ?? 0) > 0);
    assert.ok((s?.sizeBytes ?? 0) > 0);
    if (declared.has('sets')) assert.equal(set?.type, 'set');
    if (declared.has('hashes')) assert.equal(hash?.type, 'hash');
    assert.equal(none?.type, 'none');
    assert.equal(none?.ttlMs, -2);
  });
}

function registerSets(t: SuiteRunner, d: D, k: K): void {
  t.it('[sets] add, remove, members, membership, cardinality', async () => {
    const c = full(d);
    assert.equal(await c.sAdd(k('set'), ['a', 'b', 'a']), 2);
    assert.equal(await c.sIsMember(k('set'), 'a'), true);
    assert.equal(await c.sCard(k('set')), 2);
    assert.equal(await c.sRem(k('set'), ['a', 'z']), 1);
    assert.deepEqual(await c.sMembers(k('set')), ['b']);
    assert.deepEqual(await c.sMembers(k('noset')), []);
  });

  t.it('[sets] pop in batches until the key is gone, and scan page by page', async () => {
    const c = full(d);
    const members = Array.from({ length: 250 }, (_, i) => `m${i}`);
    await c.sAdd(k('big'), members);
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const page = await c.sScan(k('big'), cursor, 50);
      for (const member of page.members) seen.add(member);
      cursor = page.cursor;
    } while (cursor !== '0');
    assert.deepEqual([...seen].sort(), [...members].sort());
    const popped: string[] = [];
    for (let batch = await c.sPop(k('big'), 100); batch.length > 0; batch = await c.sPop(k('big'), 100)) {
      assert.ok(batch.length <= 100);
      popped.push(...batch);
    }
    assert.deepEqual(popped.sort(), [...members].sort());
    assert.equal(await c.exists(k('big')), false);
    assert.deepEqual(await c.sPop(k('noset'), 10), []);
    assert.deepEqual(await c.sScan(k('noset'), '0', 10), { cursor: '0', members: [] });
  });
}

function registerHashes(t: SuiteRunner, d: D, k: K, declared: Declared): void {
  t.it('[hashes] set, get, getAll, del, incr, and WRONGTYPE on misuse', async () => {
    const c = full(d);
    await c.hSet(k('h'), { a: '1', b: 'x' });
    assert.equal(await c.hGet(k('h'), 'a'), '1');
    assert.equal(await c.hIncrBy(k('h'), 'a', 4), 5);
    assert.deepEqual(await c.hGetAll(k('h')), { a: '5', b: 'x' });
    assert.equal(await c.hDel(k('h'), ['b', 'zz']), 1);
    assert.deepEqual(await c.hGetAll(k('missing-hash')), {});
    if (declared.has('sets')) await assert.rejects(c.sAdd(k('h'), ['m']), ValidationError);
    await assert.rejects(c.hIncrBy(k('h'), 'a', 0.5), ValidationError);
  });
}

function registerLocks(t: SuiteRunner, d: D, k: K): void {
  t.it('[locks] exclusive, token-checked release, self-expiring', async () => {
    const c = full(d);
    assert.equal(await c.acquireLock(k('lock'), 'tok-a', 10_000), true);
    assert.equal(await c.acquireLock(k('lock'), 'tok-b', 10_000), false);
    assert.equal(await c.releaseLock(k('lock'), 'tok-b'), false);
    assert.equal(await c.releaseLock(k('lock'), 'tok-a'), true);
    const leased = Date.now();
    assert.equal(await c.acquireLock(k('lock'), 'tok-b', 40), true);
    await clockPast(leased, 40);
    await eventually(() => c.acquireLock(k('lock'), 'tok-c', 10_000), 'the lease to expire');
    assert.equal(await c.releaseLock(k('lock'), 'tok-b'), false);
    assert.equal(await c.releaseLock(k('lock'), 'tok-c'), true);
  });
}
