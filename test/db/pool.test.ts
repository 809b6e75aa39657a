import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { openDatabase, PoolTimeoutError, translateDatabaseError } from '../../src/db/index.ts';
import { UnavailableError } from '../../src/shared/errors.ts';
import { DIALECTS, openTestDatabase } from '../support/db.ts';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe.each(DIALECTS)('pool (%s)', (dialect) => {
  it('times out clearly when long transactions exhaust the pool, never hangs, and recovers', async () => {
    const registry = new Registry();
    // PostgreSQL: poolSize 2 → two long transactions take every connection. SQLite: one takes the writer.
    const t = await openTestDatabase(dialect, { registry, pool: { acquireTimeoutMs: 300 } });
    const holders = dialect === 'postgres' ? 4 : 1; // the test helper opens PostgreSQL with poolSize 4
    try {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const long = Array.from({ length: holders }, (_, i) =>
        t.db.kysely.transaction().execute(async (trx) => {
          await trx
            .insertInto('accounts')
            .values({ code: `9${i}`, name: `Hold ${i}`, type: 'expense' })
            .execute();
          await gate;
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      const error = await rejection(
        t.db.kysely.transaction().execute((trx) => trx.insertInto('accounts').values({ code: '99', name: 'Late', type: 'expense' }).execute()),
      );
      expect(error).toBeInstanceOf(PoolTimeoutError);
      const timeout = error as PoolTimeoutError;
      expect(timeout.status).toBe(503);
      expect(timeout.message).toContain(dialect === 'postgres' ? '"postgres" pool' : '"sqlite-writer" pool');
      expect(timeout.message).toMatch(/after \d+ ms/);
      expect(timeout.waitedMs).toBeGreaterThanOrEqual(250);
      if (dialect === 'sqlite') {
        // WAL readers keep serving while the writer is held.
        expect((await t.db.kysely.selectFrom('accounts').select('code').execute()).length).toBeGreaterThan(0);
      }
      release();
      await Promise.all(long);
      await t.db.kysely.insertInto('accounts').values({ code: '99', name: 'After', type: 'expense' }).execute();
      const stats = t.db.pool.stats();
      expect(stats.timeouts).toBe(1);
      expect(stats.acquired).toBeGreaterThanOrEqual(holders + 1);
      expect(stats.waiting).toBe(0);
      expect(stats.holdMs.max).toBeGreaterThanOrEqual(stats.holdMs.p50);
      expect(stats.holdMs.count).toBeGreaterThanOrEqual(holders);
      expect(stats.config.acquireTimeoutMs).toBe(300);
      const metrics = await registry.metrics();
      expect(metrics).toContain('ai_stack_db_pool_timeouts_total');
      expect(metrics).toContain('ai_stack_db_pool_connections{pool=');
    } finally {
      await t.cleanup();
    }
  });
});

describe('metrics registry sharing', () => {
  it('opens two databases on one registry without a duplicate-metric error', async () => {
    const registry = new Registry();
    const a = await openTestDatabase('sqlite', { registry });
    const b = await openTestDatabase('postgres', { registry });
    try {
      await a.db.kysely.selectFrom('accounts').select('code').execute();
      await b.db.kysely.selectFrom('accounts').select('code').execute();
      expect(await registry.metrics()).toContain('ai_stack_db_query_duration_seconds_count{dialect="sqlite",outcome="ok"}');
      expect(await registry.metrics()).toContain('ai_stack_db_query_duration_seconds_count{dialect="postgres",outcome="ok"}');
      // PostgreSQL checks a connection out per statement; the 0.1 ms bucket is the pool's own.
      const text = await registry.metrics();
      expect(text).toMatch(/ai_stack_db_pool_acquire_wait_seconds_bucket\{pool="postgres",le="0.0001"\} \d+/);
      expect(text).toMatch(/ai_stack_db_pool_hold_seconds_count\{pool="postgres"\} [1-9]/);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });
});

describe('SQLite lock held by another process', () => {
  it('answers 503 after busy_timeout instead of hanging, counts it, and works once the lock is gone', async () => {
    const holder = await openTestDatabase('sqlite');
    const registry = new Registry();
    // A second Db on the same file stands in for another process (its own connections, its own writer lock).
    const other = await openDatabase(holder.config, { sqliteBusyTimeoutMs: 50, registry });
    let releaseHolder!: () => void;
    const held = new Promise<void>((resolve) => (releaseHolder = resolve));
    let started!: () => void;
    const holding = new Promise<void>((resolve) => (started = resolve));
    const transaction = holder.db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('accounts').values({ code: 'H1', name: 'Held', type: 'expense' }).execute();
      started();
      await held;
    });
    try {
      await holding;
      const error = await other.kysely
        .insertInto('accounts')
        .values({ code: 'B1', name: 'Blocked', type: 'expense' })
        .execute()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(translateDatabaseError(error)).toBeInstanceOf(UnavailableError);
      expect(other.pool.stats().busyErrors).toBe(1);
      expect(await registry.metrics()).toMatch(/ai_stack_db_sqlite_busy_total\{pool="sqlite-writer"\} 1/);
      releaseHolder();
      await transaction;
      await other.kysely.insertInto('accounts').values({ code: 'B1', name: 'Now free', type: 'expense' }).execute();
      expect(other.pool.stats().busyErrors).toBe(1);
    } finally {
      releaseHolder();
      await transaction.catch(() => undefined);
      await other.close();
      await holder.cleanup();
    }
  });
});
