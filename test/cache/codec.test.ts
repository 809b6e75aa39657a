import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache, richJsonCodec, jsonCodec, CacheCodecError, type Cache, type Codec } from '../../src/cache/index.ts';
import { REDIS_URL, dropPrefix, randomPrefix, rawClient } from './support.ts';

const sample = (): Record<string, unknown> => ({
  date: new Date('2026-11-30T12:34:56.789Z'),
  big: 12345678901234567890n,
  buf: Buffer.from([0, 1, 2, 255]),
  bytes: new Uint8Array([9, 8, 7]),
  map: new Map<unknown, unknown>([
    ['a', 1],
    [2, new Date(0)],
  ]),
  set: new Set([1, 'two', 3n]),
  undef: undefined,
  nested: { deep: [undefined, null, { when: new Date(1) }], nan: NaN, inf: -Infinity, negZero: -0 },
  lookalike: { '\u0000t': 'D', v: 5 },
  text: 'plain',
});

describe('rich JSON codec', () => {
  it('round-trips Date, BigInt, Buffer, Uint8Array, Map, Set, undefined, special numbers and nesting', () => {
    const value = sample();
    const back = richJsonCodec.decode(richJsonCodec.encode(value)) as Record<string, unknown>;
    expect(back).toStrictEqual(value);
    expect(Buffer.isBuffer(back.buf)).toBe(true);
    expect(back.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(back.bytes)).toBe(false);
    expect(Object.hasOwn(back, 'undef')).toBe(true);
    expect(richJsonCodec.decode(richJsonCodec.encode(undefined))).toBeUndefined();
  });

  it('rejects malformed and hostile input with CacheCodecError', () => {
    expect(() => richJsonCodec.decode('{not json')).toThrow(CacheCodecError);
    expect(() => richJsonCodec.decode('{"\\u0000t":"zz"}')).toThrow(CacheCodecError);
    expect(() => richJsonCodec.decode('{"\\u0000t":"n","v":{}}')).toThrow(CacheCodecError);
    expect(() => jsonCodec.decode('')).toThrow(CacheCodecError);
  });

  it('keeps a hostile __proto__ key as data, never as a prototype', () => {
    const back = richJsonCodec.decode('{"__proto__":{"polluted":true},"u":{"\\u0000t":"u"}}') as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
  });
});

describe('type round-trip identity across L1 and L2', () => {
  const prefix = randomPrefix('codec');
  let writer: Cache;
  let reader: Cache;

  beforeAll(async () => {
    writer = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix } });
    // A second cache with no L1 reads straight from Redis: what another process would see.
    reader = await createCache({ redis: { url: REDIS_URL, keyPrefix: prefix }, l1: false });
  });
  afterAll(async () => {
    await writer.close();
    await reader.close();
    await dropPrefix(prefix);
  });

  it('returns identical values and types from L1, from L2 and from the original', async () => {
    const value = sample();
    await writer.set('typed', value);
    const fromL1 = await writer.get('typed');
    const fromL2 = await reader.get('typed');
    expect(fromL1).toStrictEqual(value);
    expect(fromL2).toStrictEqual(fromL1);
    expect(writer.stats().counters.l1Hits).toBe(1);
    expect(reader.stats().counters.l2Hits).toBe(1);
  });

  it('L1 holds a decoded copy, so mutating the original does not change the cache', async () => {
    const value = { list: [1, 2] };
    await writer.set('copy', value);
    value.list.push(3);
    expect(await writer.get('copy')).toEqual({ list: [1, 2] });
  });

  it('treats corrupt L2 data as a miss instead of failing', async () => {
    const key = await writer.keyFor('corrupt');
    const raw = rawClient();
    await raw.set(key, '\u00020\u0002{broken');
    raw.disconnect();
    expect(await reader.get('corrupt')).toBeUndefined();
    expect(await reader.getOrSet('corrupt', () => 'reloaded')).toBe('reloaded');
  });

  it('accepts a pluggable codec for both tiers', async () => {
    const upper: Codec = {
      name: 'reverse',
      encode: (v) => JSON.stringify(v).split('').reverse().join(''),
      decode: (t) => JSON.parse(t.split('').reverse().join('')) as unknown,
    };
    const p2 = randomPrefix('codec2');
    const a = await createCache({ redis: { url: REDIS_URL, keyPrefix: p2 }, codec: upper });
    const b = await createCache({ redis: { url: REDIS_URL, keyPrefix: p2 }, codec: upper, l1: false });
    await a.set('x', { hello: 'world' });
    expect(await b.get('x')).toEqual({ hello: 'world' });
    await a.close();
    await b.close();
    await dropPrefix(p2);
  });
});
