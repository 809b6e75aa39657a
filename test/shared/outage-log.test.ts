import { describe, expect, it } from 'vitest';
import { isConnectionError, OutageLog } from '../../src/shared/outage-log.ts';

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' });
}

describe('OutageLog', () => {
  it('logs the start once, a summary at most every interval, and the recovery once', () => {
    const lines: Array<{ fields: Record<string, unknown>; message: string }> = [];
    let clock = 0;
    const log = new OutageLog({ warn: (fields, message) => lines.push({ fields: fields as Record<string, unknown>, message }) }, 'Redis', {
      summaryEveryMs: 30_000,
      now: () => clock,
    });
    // A reconnecting client reports ~10 errors a second.
    for (; clock < 29_000; clock += 100) log.failed(refused());
    expect(lines.map((l) => l.message)).toEqual(['Redis unreachable; retrying in the background']);
    for (; clock <= 61_000; clock += 100) log.failed(refused());
    expect(lines.map((l) => l.message)).toEqual(['Redis unreachable; retrying in the background', 'Redis still unreachable', 'Redis still unreachable']);
    expect(lines[1]?.fields).toMatchObject({ errors: 301, downForMs: 30_000 });
    log.recovered();
    log.recovered();
    expect(lines.at(-1)).toMatchObject({ message: 'Redis reachable again' });
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => !('err' in l.fields) && !('stack' in l.fields))).toBe(true);
    log.failed(refused());
    expect(lines.at(-1)?.message).toBe('Redis unreachable; retrying in the background');
  });

  it('tells connection errors from command errors', () => {
    expect(isConnectionError(refused())).toBe(true);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isConnectionError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isConnectionError('ECONNREFUSED')).toBe(false);
  });
});
