import { CacheCodecError } from './errors.ts';

/**
 * Turns values into the strings stored in L2 and back. L1 keeps `decode(encode(value))`, so both tiers
 * hand out the same types whatever codec is plugged in (BentoCache #111 and async-cache-dedupe #46
 * are what happens otherwise).
 */
export interface Codec {
  readonly name: string;
  encode(value: unknown): string;
  decode(text: string): unknown;
}

// A key no ordinary object uses, so tagged values cannot collide with user data.
const TAG = '\u0000t';
const VALUE = 'v';
/** How the tag key appears in JSON text (JSON.stringify escapes U+0000). */
const TAG_IN_JSON = '"\\u0000t"';

type Tagged = { [TAG]: string; [VALUE]?: unknown };

function tag(kind: string, value?: unknown): Tagged {
  return value === undefined ? { [TAG]: kind } : { [TAG]: kind, [VALUE]: value };
}

function replacer(this: Record<string, unknown>, key: string, jsonValue: unknown): unknown {
  // `this[key]` is the value before toJSON ran (Date and Buffer define toJSON).
  const raw = this[key];
  switch (typeof raw) {
    case 'undefined':
      return tag('u');
    case 'bigint':
      return tag('n', raw.toString());
    case 'number':
      return Number.isFinite(raw) && !Object.is(raw, -0) ? raw : tag('f', Object.is(raw, -0) ? '-0' : String(raw));
    case 'object': {
      if (raw === null) return null;
      if (raw instanceof Date) return tag('D', raw.getTime());
      if (Buffer.isBuffer(raw)) return tag('B', raw.toString('base64'));
      if (raw instanceof Uint8Array) return tag('U', Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64'));
      if (raw instanceof Map) return tag('M', [...raw.entries()]);
      if (raw instanceof Set) return tag('S', [...raw.values()]);
      // A plain object that already carries our tag key is stored as entries so it cannot be mistaken for a tagged value.
      if (!Array.isArray(raw) && Object.hasOwn(raw, TAG)) return tag('O', Object.entries(raw));
      return jsonValue;
    }
    case 'function':
    case 'symbol':
      return undefined;
    default:
      return jsonValue;
  }
}

// JSON.parse drops a property whose reviver result is undefined, so revive to a sentinel and swap it afterwards.
const UNDEFINED = Symbol('undefined');
let sawUndefined = false;

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  const kind = record[TAG];
  if (kind === undefined) return value;
  const inner = record[VALUE];
  switch (kind) {
    case 'u':
      sawUndefined = true;
      return UNDEFINED;
    case 'n':
      return BigInt(expectString(inner));
    case 'f':
      return Number(expectString(inner));
    case 'D':
      return new Date(typeof inner === 'number' ? inner : NaN);
    case 'B':
      return Buffer.from(expectString(inner), 'base64');
    case 'U':
      return new Uint8Array(Buffer.from(expectString(inner), 'base64'));
    case 'M':
      return new Map(expectArray(inner) as [unknown, unknown][]);
    case 'S':
      return new Set(expectArray(inner));
    case 'O':
      return Object.fromEntries(expectArray(inner) as [string, unknown][]);
    default:
      throw new CacheCodecError(`Unknown codec tag ${JSON.stringify(kind)}`);
  }
}

function expectString(value: unknown): string {
  if (typeof value !== 'string') throw new CacheCodecError('Malformed tagged value');
  return value;
}

function expectArray(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new CacheCodecError('Malformed tagged value');
  return value;
}

/** Reviver-based JSON: the holes JSON leaves (undefined, Date, BigInt, Buffer, Map, Set, NaN) are tagged. */
export const richJsonCodec: Codec = {
  name: 'rich-json',
  encode(value: unknown): string {
    return JSON.stringify(value, replacer) ?? 'null';
  },
  decode(text: string): unknown {
    try {
      // Most payloads carry no tagged value: a plain parse is several times cheaper than a reviver.
      if (!text.includes(TAG_IN_JSON)) return JSON.parse(text) as unknown;
      sawUndefined = false;
      const parsed: unknown = JSON.parse(text, reviver);
      return sawUndefined ? restoreUndefined(parsed) : parsed;
    } catch (error) {
      if (error instanceof CacheCodecError) throw error;
      throw new CacheCodecError('Stored value is not valid JSON', error);
    }
  },
};

function restoreUndefined(value: unknown): unknown {
  if (value === UNDEFINED) return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restoreUndefined(value[i]);
    return value;
  }
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [restoreUndefined(k), restoreUndefined(v)]));
  if (value instanceof Set) return new Set([...value].map(restoreUndefined));
  if (value instanceof Date || value instanceof Uint8Array) return value;
  const record = value as Record<string, unknown>;
  // defineProperty, not assignment: a hostile "__proto__" key must stay a plain property.
  for (const key of Object.keys(record))
    Object.defineProperty(record, key, { value: restoreUndefined(record[key]), writable: true, enumerable: true, configurable: true });
  return value;
}

/** Plain JSON, for data shared with non-TypeScript consumers; Dates come back as strings. */
export const jsonCodec: Codec = {
  name: 'json',
  encode: (value) => JSON.stringify(value) ?? 'null',
  decode(text) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new CacheCodecError('Stored value is not valid JSON', error);
    }
  },
};
