import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheDriver } from '../../src/cache/index.ts';
import { ValidationError } from '../../src/shared/errors.ts';
import { eventually } from '../support/wait.ts';

export interface DriverHarness {
  driver: CacheDriver;
  /** Prefix every key of the run starts with (so the driver can share a server with others). */
  prefix: string;
  cleanup(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The one suite every cache driver must pass (BentoCache's test_suite idea). It pins the contract in
 * src/cache/driver.ts, including malformed, oversized and hostile input.
 */
export function cacheDriverSuite(name: string, create: () => Promise<DriverHarness>): void {
  describe(`cache driver conformance: ${name}`, () => {
    let h: DriverHarness;
    let d: CacheDriver;
    const k = (s: string): string => `${h.prefix}:${s}`;
    beforeAll(async () => {
      h = await create();
      d = h.driver;
    });
    afterAll(async () => {
      await h.cleanup();
    });

    it('get/set/delete/exists', async () => {
      expect(await d.get(k('a'))).toBeUndefined();
      await d.set(k('a'), '1');
      expect(await d.get(k('a'))).toBe('1');
      expect(await d.exists(k('a'))).toBe(true);
      expect(await d.delete([k('a'), k('nope')])).toBe(1);
      expect(await d.exists(k('a'))).toBe(false);
    });

    it('expires keys and reports pttl (-1 persistent, -2 missing)', async () => {
      await d.set(k('ttl'), 'x', 40);
      await d.set(k('persist'), 'x');
      const ms = await d.pttl(k('ttl'));
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(40);
      expect(await d.pttl(k('persist'))).toBe(-1);
      expect(await d.pttl(k('missing'))).toBe(-2);
      await sleep(80);
      expect(await d.get(k('ttl'))).toBeUndefined();
    });

    it('accepts TTLs beyond 2^31-1 ms', async () => {
      await d.set(k('long'), 'x', 40 * 86_400_000);
      await sleep(5);
      expect(await d.get(k('long'))).toBe('x');
      expect(await d.pttl(k('long'))).toBeGreaterThan(2 ** 31);
    });

    it('expire sets and removes TTLs', async () => {
      await d.set(k('e'), 'x');
      expect(await d.expire(k('e'), 10_000)).toBe(true);
      expect(await d.pttl(k('e'))).toBeGreaterThan(0);
      expect(await d.expire(k('e'), undefined)).toBe(true);
      expect(await d.pttl(k('e'))).toBe(-1);
      expect(await d.expire(k('none'), 1000)).toBe(false);
    });

    it('getMany/setMany keep order and report misses', async () => {
      await d.setMany([{ key: k('m1'), value: 'a' }, { key: k('m2'), value: 'b', ttlMs: 10_000 }]);
      expect(await d.getMany([k('m2'), k('mx'), k('m1')])).toEqual(['b', undefined, 'a']);
      expect(await d.getMany([])).toEqual([]);
    });

    it('add only writes absent keys', async () => {
      expect(await d.add(k('add'), '1', 10_000)).toBe(true);
      expect(await d.add(k('add'), '2')).toBe(false);
      expect(await d.get(k('add'))).toBe('1');
    });

    it('incrBy is atomic, sets TTL only on creation, and rejects non-integers', async () => {
      expect(await d.incrBy(k('n'), 5, 10_000)).toBe(5);
      expect(await d.incrBy(k('n'), -2)).toBe(3);
      await Promise.all(Array.from({ length: 20 }, () => d.incrBy(k('n'), 1)));
      expect(await d.get(k('n'))).toBe('23');
      expect(await d.pttl(k('n'))).toBeGreaterThan(0);
      await d.set(k('s'), 'text');
      await expect(d.incrBy(k('s'), 1)).rejects.toBeInstanceOf(ValidationError);
      await expect(d.incrBy(k('n'), 1.5)).rejects.toBeInstanceOf(ValidationError);
    });

    it('scan pages through matching keys and deleteMatching removes them', async () => {
      for (let i = 0; i < 30; i++) await d.set(k(`scan:${i}`), String(i));
      await d.set(k('other:1'), 'x');
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const page = await d.scan(`${h.prefix}:scan:*`, cursor, 7);
        page.keys.forEach((key) => seen.add(key));
        cursor = page.cursor;
      } while (cursor !== '0');
      expect(seen.size).toBe(30);
      expect(await d.deleteMatching(`${h.prefix}:scan:*`)).toBe(30);
      expect(await d.get(k('other:1'))).toBe('x');
    });

    it('scan yields every live key when expired keys sit between them', async () => {
      // 250 live keys with 50 expired ones interleaved (every sixth key), walked in small pages.
      const live = new Set<string>();
      for (let i = 0; i < 300; i++) {
        if (i % 6 === 5) await d.set(k(`mixed:${i}`), 'gone', 1);
        else {
          await d.set(k(`mixed:${i}`), 'here');
          live.add(k(`mixed:${i}`));
        }
      }
      const written = Date.now();
      await eventually(() => Date.now() > written + 1, 5_000, 'the 1 ms TTLs to pass');
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const page = await d.scan(`${h.prefix}:mixed:*`, cursor, 10);
        page.keys.forEach((key) => seen.add(key));
        cursor = page.cursor;
      } while (cursor !== '0');
      expect(seen).toEqual(live);
    });

    it('scan yields a key present for the whole walk while others are read, written and deleted between pages', async () => {
      const keys = Array.from({ length: 120 }, (_, i) => k(`walk:${i}`));
      for (const key of keys) await d.set(key, 'v');
      const stable = new Set(keys.filter((_, i) => i % 3 !== 0));
      const seen = new Set<string>();
      let cursor = '0';
      let round = 0;
      do {
        const page = await d.scan(`${h.prefix}:walk:*`, cursor, 10);
        page.keys.forEach((key) => seen.add(key));
        cursor = page.cursor;
        // Between pages: delete some keys, read keys not yet seen (an LRU reorders on read), add new ones.
        round++;
        await d.delete(keys.filter((_, i) => i % 3 === 0 && i % 40 === round % 40));
        await d.getMany(keys.slice(0, 20));
        await d.get(keys[20 + round] as string);
        await d.get(keys[keys.length - 1 - round] as string);
        await d.set(k(`walk:new:${round}`), 'n');
      } while (cursor !== '0');
      for (const key of stable) expect(seen.has(key), key).toBe(true);
    });

    it('treats glob metacharacters in keys literally when escaped', async () => {
      await d.set(k('lit*eral'), 'x');
      await d.set(k('litXeral'), 'y');
      expect(await d.deleteMatching(`${h.prefix}:lit\\*eral`)).toBe(1);
      expect(await d.get(k('litXeral'))).toBe('y');
    });

    it('info reports type, ttl and size', async () => {
      await d.set(k('i1'), 'hello', 10_000);
      await d.sAdd(k('i2'), ['a']);
      await d.hSet(k('i3'), { f: 'v' });
      const [s, set, hash, none] = await d.info([k('i1'), k('i2'), k('i3'), k('i4')]);
      expect(s).toMatchObject({ type: 'string' });
      expect(s?.ttlMs).toBeGreaterThan(0);
      expect(s?.sizeBytes).toBeGreaterThan(0);
      expect(set?.type).toBe('set');
      expect(hash?.type).toBe('hash');
      expect(none).toMatchObject({ type: 'none', ttlMs: -2 });
    });

    it('sets: add, remove, members, membership, cardinality', async () => {
      expect(await d.sAdd(k('set'), ['a', 'b', 'a'])).toBe(2);
      expect(await d.sIsMember(k('set'), 'a')).toBe(true);
      expect(await d.sCard(k('set'))).toBe(2);
      expect(await d.sRem(k('set'), ['a', 'z'])).toBe(1);
      expect(await d.sMembers(k('set'))).toEqual(['b']);
      expect(await d.sMembers(k('noset'))).toEqual([]);
    });

    it('sets: pop in batches until the key is gone, and scan page by page', async () => {
      const members = Array.from({ length: 250 }, (_, i) => `m${i}`);
      await d.sAdd(k('big'), members);
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const page = await d.sScan(k('big'), cursor, 50);
        for (const member of page.members) seen.add(member);
        cursor = page.cursor;
      } while (cursor !== '0');
      expect([...seen].sort()).toEqual([...members].sort());
      const popped: string[] = [];
      for (let batch = await d.sPop(k('big'), 100); batch.length > 0; batch = await d.sPop(k('big'), 100)) {
        expect(batch.length).toBeLessThanOrEqual(100);
        popped.push(...batch);
      }
      expect(popped.sort()).toEqual([...members].sort());
      expect(await d.exists(k('big'))).toBe(false);
      expect(await d.sPop(k('noset'), 10)).toEqual([]);
      expect(await d.sScan(k('noset'), '0', 10)).toEqual({ cursor: '0', members: [] });
    });

    it('hashes: set, get, getAll, del, incr, and WRONGTYPE on misuse', async () => {
      await d.hSet(k('h'), { a: '1', b: 'x' });
      expect(await d.hGet(k('h'), 'a')).toBe('1');
      expect(await d.hIncrBy(k('h'), 'a', 4)).toBe(5);
      expect(await d.hGetAll(k('h'))).toEqual({ a: '5', b: 'x' });
      expect(await d.hDel(k('h'), ['b', 'zz'])).toBe(1);
      expect(await d.hGetAll(k('missing-hash'))).toEqual({});
      await expect(d.sAdd(k('h'), ['m'])).rejects.toBeInstanceOf(ValidationError);
      await expect(d.hIncrBy(k('h'), 'a', 0.5)).rejects.toBeInstanceOf(ValidationError);
    });

    it('lease locks: exclusive, token-checked release, self-expiring', async () => {
      expect(await d.acquireLock(k('lock'), 'tok-a', 60)).toBe(true);
      expect(await d.acquireLock(k('lock'), 'tok-b', 60)).toBe(false);
      expect(await d.releaseLock(k('lock'), 'tok-b')).toBe(false);
      expect(await d.releaseLock(k('lock'), 'tok-a')).toBe(true);
      expect(await d.acquireLock(k('lock'), 'tok-b', 40)).toBe(true);
      await sleep(80);
      expect(await d.acquireLock(k('lock'), 'tok-c', 1000)).toBe(true);
      expect(await d.releaseLock(k('lock'), 'tok-b')).toBe(false);
    });

    it('stores binary-looking, unicode and large values byte-exactly', async () => {
      const weird = '\u0000\u0002\uffff😀 \r\n' + 'x'.repeat(1024 * 1024);
      await d.set(k('big'), weird);
      expect(await d.get(k('big'))).toBe(weird);
      await d.set(k('ключ 🔑'), 'v');
      expect(await d.get(k('ключ 🔑'))).toBe('v');
    });

    it('ping answers', async () => {
      await expect(d.ping()).resolves.toBeUndefined();
    });
  });
}
