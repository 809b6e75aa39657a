import { describe, expect, it } from 'vitest';
import { parseInt8, parseNumeric, parseTimestamp } from '../../src/db/dialects/postgres/index.ts';

describe('PostgreSQL type parsers', () => {
  it('turns int8 and numeric into numbers only while exact', () => {
    expect(parseInt8('42')).toBe(42);
    expect(parseInt8('-9007199254740991')).toBe(-9007199254740991);
    expect(parseInt8('9007199254740993')).toBe('9007199254740993');
    expect(parseNumeric('123.4500')).toBe(123.45);
    expect(parseNumeric('100')).toBe(100);
    expect(parseNumeric('-0.50')).toBe(-0.5);
    expect(parseNumeric('12345678901234567890')).toBe('12345678901234567890');
    expect(parseNumeric('1.00000000000000000001')).toBe('1.00000000000000000001');
    expect(parseNumeric('NaN')).toBe('NaN');
  });

  it('normalises timestamps from any session time zone to UTC ISO-8601 with milliseconds', () => {
    expect(parseTimestamp('2026-11-30 23:22:37.123456+01')).toBe('2026-11-30T22:22:37.123Z');
    expect(parseTimestamp('2026-11-30 23:22:37+00')).toBe('2026-11-30T23:22:37.000Z');
    expect(parseTimestamp('2026-11-30 23:22:37.1-05:30')).toBe('2026-12-01T04:52:37.100Z');
    expect(parseTimestamp('infinity')).toBe('infinity');
    expect(parseTimestamp('garbage 12:00')).toBe('garbage 12:00');
  });
});
