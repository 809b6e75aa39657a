import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/shared/errors.ts';
import { backoffDelay, createRedisTaskBackend, defineTask, parseSchedules, TaskArgumentsError } from '../../src/tasks/index.ts';
import { REDIS_URL } from './fixtures/redis.ts';

describe('defineTask', () => {
  const args = Type.Object({ n: Type.Integer() });
  it('rejects malformed definitions with field-level issues', () => {
    expect(() => defineTask('Bad Name', { queue: 'documents', args }, () => 1)).toThrow(ValidationError);
    expect(() => defineTask('ok.name', { queue: 'Queue With Spaces', args }, () => 1)).toThrow(/invalid definition/);
    expect(() => defineTask('ok.name', { queue: 'sync', args, retries: { max: -1 } }, () => 1)).toThrow(ValidationError);
    expect(() => defineTask('ok.name', { queue: 'sync', args, timeLimit: { soft: Number.NaN } }, () => 1)).toThrow(ValidationError);
    expect(() => defineTask('ok.name', { queue: 'sync', args, rateLimit: { max: 0, perMs: 1000 } }, () => 1)).toThrow(ValidationError);
    expect(() => defineTask('ok.name', { queue: 'sync', args, priority: 0 }, () => 1)).toThrow(ValidationError);
    try {
      defineTask('ok.name', { queue: 'sync', args, timeLimit: { hard: 1000 } }, () => 1);
      expect.unreachable();
    } catch (err) {
      expect((err as ValidationError).issues.map((i) => i.field)).toEqual(['module']);
    }
  });

  it('validates arguments with clear errors and caps how many issues it reports', () => {
    const t = defineTask('ok.many', { queue: 'sync', args: Type.Array(Type.Integer(), { maxItems: 5 }) }, (xs) => xs.length);
    expect(t.validate([1, 2])).toEqual([1, 2]);
    const err = (() => {
      try {
        t.validate(Array.from({ length: 100 }, () => 'x'));
      } catch (e) {
        return e as TaskArgumentsError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TaskArgumentsError);
    expect(err?.issues.length).toBeLessThanOrEqual(10);
    expect(err?.status).toBe(400);
    expect(() => t.validate(undefined)).toThrow(/invalid arguments for task "ok.many"/);
  });
});

describe('parseSchedules (configuration)', () => {
  it('accepts JSON schedules and rejects malformed or hostile ones with field issues', () => {
    expect(parseSchedules('[{"id":"a","task":"x.y","args":{"n":1},"cron":"0 3 * * *","tz":"UTC"},{"id":"b","task":"x.y","every":60000}]')).toEqual([
      { id: 'a', task: 'x.y', args: { n: 1 }, cron: '0 3 * * *', tz: 'UTC' },
      { id: 'b', task: 'x.y', args: {}, every: 60000 },
    ]);
    expect(() => parseSchedules('{not json')).toThrow(/not valid JSON/);
    expect(() => parseSchedules('{"id":"a"}')).toThrow(/must be a JSON array/);
    expect(() => parseSchedules(JSON.stringify(Array.from({ length: 1001 }, () => ({}))))).toThrow(ValidationError);
    expect(() => parseSchedules([{ id: 1, task: 'x' }])).toThrow(/index 0/);
    expect(() => parseSchedules([{ id: 'a', task: 'x', every: '5' }])).toThrow(ValidationError);
    try {
      parseSchedules('[{"id":"a","task":"x","__proto__":{"every":1}}]');
      expect.unreachable();
    } catch (err) {
      expect((err as ValidationError).issues[0]?.message).toBe('unknown fields: __proto__');
    }
    expect(() => parseSchedules([null])).toThrow(ValidationError);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and jitters within the upper half', () => {
    expect([1, 2, 3, 4].map((r) => backoffDelay(r, { delayMs: 100, jitter: false }))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(30, { delayMs: 100, maxMs: 5_000, jitter: false })).toBe(5_000);
    expect(backoffDelay(3, { delayMs: 100 }, () => 0)).toBe(200);
    expect(backoffDelay(3, { delayMs: 100 }, () => 0.999)).toBeLessThanOrEqual(400);
    expect(backoffDelay(1000, {}, () => 1)).toBe(600_000);
  });
});

describe('Redis TaskStore', () => {
  it('keeps keys literal (glob characters), leases compare-and-act, and counters carry a TTL', async () => {
    const backend = createRedisTaskBackend({ url: REDIS_URL, keyPrefix: `test:tasks:${randomUUID().slice(0, 8)}:` });
    const s = backend.store;
    try {
      await s.set('worker:a*b', '1');
      await s.set('worker:[x]', '2');
      await s.set('workerz', '3');
      expect((await s.scan('worker:a*')).map((e) => e.key)).toEqual(['worker:a*b']);
      expect((await s.scan('worker:')).length).toBe(2);
      expect(await s.setIfAbsent('lease', 'me', 5_000)).toBe(true);
      expect(await s.setIfAbsent('lease', 'you', 5_000)).toBe(false);
      expect(await s.refreshIfEquals('lease', 'you', 5_000)).toBe(false);
      expect(await s.deleteIfEquals('lease', 'you')).toBe(false);
      expect(await s.deleteIfEquals('lease', 'me')).toBe(true);
      expect(await s.get('lease')).toBeNull();
      expect(await s.increment('n', 60_000)).toBe(1);
      expect(await s.increment('n', 60_000)).toBe(2);
      await s.set('short', 'x', 1);
      await new Promise((r) => setTimeout(r, 20));
      expect(await s.getMany(['short', 'n', 'missing'])).toEqual([null, '2', null]);
      const big = 'v'.repeat(1_000_000);
      await s.set('big', big);
      expect((await s.get('big'))?.length).toBe(1_000_000);
    } finally {
      for (const { key } of await s.scan('')) await s.delete(key);
      await backend.close();
    }
  });
});
