import { describe, expect, it } from 'vitest';
import { parseDuration, KeyStrategy, hashArgs } from '../../src/cache/index.ts';
import { globToRegExp, assertPattern } from '../../src/cache/glob.ts';
import { parseBusMessage, parseEnvelope } from '../../src/cache/bus.ts';
import { wrapEntry, unwrapEntry, rawValue } from '../../src/cache/envelope.ts';
import { CircuitBreaker } from '../../src/cache/circuit-breaker.ts';
import { DeadlineGuard } from '../../src/cache/deadline.ts';
import { CacheUnavailableError } from '../../src/cache/errors.ts';
import { ValidationError } from '../../src/shared/errors.ts';
import { frozenClock } from './support.ts';

describe('durations', () => {
  it('parses numbers and unit strings', () => {
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('2.5h')).toBe(9_000_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration(Infinity)).toBe(Infinity);
  });
  it('rejects malformed, negative, NaN and oversized input', () => {
    for (const bad of ['', '5 parsecs', '-1s', '1e3', 'm5', '5'.repeat(40), NaN, -5]) {
      expect(() => parseDuration(bad)).toThrow(ValidationError);
    }
    expect(parseDuration('9999999d')).toBe(10 * 365 * 86_400_000); // clamped, not overflowed
  });
});

describe('key strategy', () => {
  it('builds prefixed, versioned keys and hashes long ones', () => {
    const keys = new KeyStrategy({ prefix: 'app:cache', maxKeyLength: 20 });
    expect(keys.namespacePrefix('users', 3)).toBe('app:cache:users:v3:');
    expect(keys.normalize('short')).toBe('short');
    expect(keys.normalize('x'.repeat(21))).toMatch(/^h:[A-Za-z0-9_-]{32}$/);
    expect(new KeyStrategy({ prefix: 'p', hashTag: true }).namespacePrefix('users', 1)).toBe('p:{users}:v1:');
  });
  it('rejects hostile prefixes and keys', () => {
    for (const prefix of ['', 'a*b', 'a b', 'x'.repeat(65), 'a[b]']) expect(() => new KeyStrategy({ prefix })).toThrow(ValidationError);
    const keys = new KeyStrategy({ prefix: 'p' });
    expect(() => keys.normalize('')).toThrow(ValidationError);
    expect(() => keys.normalize('k'.repeat(70_000))).toThrow(ValidationError);
  });
  it('hashes argument lists stably', () => {
    expect(hashArgs([{ a: 1, b: [1, 2] }])).toBe(hashArgs([{ b: [1, 2], a: 1 }]));
    expect(hashArgs([1n])).not.toBe(hashArgs([1]));
    expect(hashArgs([JSON.parse('{"__proto__":{"x":1}}')])).not.toBe(hashArgs([{}]));
  });
});

describe('glob patterns', () => {
  it('matches like Redis globs', () => {
    expect(globToRegExp('user:*').test('user:1')).toBe(true);
    expect(globToRegExp('user:?').test('user:12')).toBe(false);
    expect(globToRegExp('a[bc]d').test('acd')).toBe(true);
    expect(globToRegExp('lit\\*').test('lit*')).toBe(true);
    expect(globToRegExp('lit\\*').test('litX')).toBe(false);
    expect(globToRegExp('(.*)+$').test('(x)+$')).toBe(false);
  });
  it('treats regex syntax literally and survives hostile patterns', () => {
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('[a-').test('[a-')).toBe(true);
    expect(globToRegExp('x[^]]y').source.length).toBeGreaterThan(0);
    expect(() => assertPattern('a***b')).toThrow(ValidationError);
    expect(() => assertPattern('x'.repeat(300))).toThrow(ValidationError);
    expect(() => assertPattern('a\nb')).toThrow(ValidationError);
  });
});

describe('bus message parsing', () => {
  const parse = (text: string) => {
    const envelope = parseEnvelope(text);
    return envelope && parseBusMessage(envelope.payload);
  };
  it('accepts well-formed messages', () => {
    expect(parse(JSON.stringify({ v: 1, src: 's', op: 'keys', keys: ['a'] }))).toEqual({ op: 'keys', keys: ['a'] });
    expect(parse(JSON.stringify({ v: 1, src: 's', op: 'version', namespace: 'n', version: 2 }))).toEqual({ op: 'version', namespace: 'n', version: 2 });
    expect(parseEnvelope(JSON.stringify({ v: 1, src: 's', op: 'all' }))?.src).toBe('s');
  });
  it('drops malformed and hostile messages', () => {
    for (const text of [
      '',
      'null',
      '[]',
      '{"v":2,"src":"s","op":"all"}',
      '{"v":1,"op":"all"}',
      '{"v":1,"src":"s","op":"keys","keys":[1]}',
      '{"v":1,"src":"s","op":"nuke"}',
      '{"v":1,"src":"s","op":"version","namespace":"n","version":1.5}',
      `{"v":1,"src":"s","op":"pattern","pattern":"${'a'.repeat(600)}"}`,
      '{"__proto__":{"v":1}}',
      '[{"v":1,"src":"s","op":"all"}]',
    ]) {
      expect(parse(text)).toBeUndefined();
    }
  });
});

describe('entry envelope', () => {
  it('round-trips expiry and payload and classifies foreign values as raw', () => {
    expect(unwrapEntry(wrapEntry(1234567890123, '{"a":1}'))).toEqual({ kind: 'entry', expiresAt: 1234567890123, payload: '{"a":1}' });
    expect(unwrapEntry('42')).toEqual({ kind: 'raw', text: '42' });
    expect(unwrapEntry('\u0002zzzzzzzzzzzzzzzzzzz\u0002x')).toEqual({ kind: 'raw', text: '\u0002zzzzzzzzzzzzzzzzzzz\u0002x' });
    expect(unwrapEntry('\u0002')).toMatchObject({ kind: 'raw' });
    expect(rawValue('42')).toBe(42);
    expect(rawValue('99999999999999999999')).toBe('99999999999999999999');
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold, allows one probe after the open period, closes on success', async () => {
    const states: string[] = [];
    const clock = frozenClock();
    try {
      const breaker = new CircuitBreaker({ threshold: 2, openMs: 20, onChange: (s) => states.push(s) });
      breaker.failure();
      expect(breaker.allow()).toBe(true);
      breaker.failure();
      expect(breaker.isOpen).toBe(true);
      expect(breaker.allow()).toBe(false);
      clock.advance(19);
      expect(breaker.allow()).toBe(false);
      clock.advance(11);
      expect(breaker.allow()).toBe(true);
      expect(breaker.allow()).toBe(false); // only one probe
      breaker.success();
      expect(breaker.isOpen).toBe(false);
      expect(states).toEqual(['open', 'closed']);
    } finally {
      clock.restore();
    }
  });
});

describe('deadline guard', () => {
  it('rejects a command that outlives the timeout and passes through results and errors', async () => {
    const guard = new DeadlineGuard(20);
    await expect(guard.wrap(new Promise(() => {}))).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(guard.wrap(Promise.resolve(7))).resolves.toBe(7);
    await expect(guard.wrap(Promise.reject(new Error('x')))).rejects.toThrow('x');
  });
});
