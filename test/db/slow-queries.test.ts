import { sql } from 'kysely';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeSql, SlowQueryLog, tablesOf } from '../../src/db/index.ts';
import { samplePlan } from '../../src/db/advisor/sample-plan.ts';
import { PlanDeferred } from '../../src/db/slow-queries/slow-query-log.ts';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/wait.ts';

describe('SQL fingerprints', () => {
  it('folds literals, placeholders and lists so values never reach the statistics', () => {
    const a = normalizeSql("select * from orders where id = 5 and note = 'O''Brien' and x in (1, 2, 3)");
    const b = normalizeSql('select  *  from orders where id = $1 and note = $2 and x in ($3, $4)');
    expect(a).toBe(b);
    expect(a).not.toContain('Brien');
    expect(normalizeSql('insert into t (a, b) values (?, ?), (?, ?), (?, ?)')).toBe(normalizeSql('insert into t (a, b) values (?, ?), (?, ?)'));
    expect(normalizeSql('select col1, t2.x from t2 -- secret 42\nwhere y = -1.5e3')).toBe('select col1, t2.x from t2 where y = ?');
    expect(tablesOf('select * from "orders" o join customers c on c.id = o.customer_id')).toEqual(['orders', 'customers']);
    expect(tablesOf('copy "ledger_entries" ("reference") from stdin')).toEqual(['ledger_entries']);
  });

  it('stays bounded with hostile input: huge statements and endless distinct fingerprints', () => {
    const log = new SlowQueryLog({ thresholdMs: 0, maxFingerprints: 10 });
    for (let i = 0; i < 100; i++) log.record(`select c${i} from t${i}`, [], 1);
    expect(log.getSlowQueries({ limit: 1000 })).toHaveLength(10);
    const huge = `select * from t where a in (${Array.from({ length: 50_000 }, (_, i) => i).join(',')})`;
    log.record(huge, [], 1);
    expect(log.getSlowQueries({ limit: 1 })[0]?.query.length).toBeLessThan(100);
  });

  it('totals the slow calls and the fingerprints they fall into, leaving fast statements out', () => {
    const log = new SlowQueryLog({ thresholdMs: 50 });
    expect(log.slowTotals()).toEqual({ calls: 0, fingerprints: 0 });
    log.record('select * from a where id = 1', [], 60);
    log.record('select * from a where id = 2', [], 70);
    log.record('select * from b', [], 80);
    log.record('select * from c', [], 10);
    expect(log.slowTotals()).toEqual({ calls: 3, fingerprints: 2 });
    log.reset();
    expect(log.slowTotals()).toEqual({ calls: 0, fingerprints: 0 });
  });
});

describe('sample plan captures under load', () => {
  it('waits for a later slow call when no connection is free, instead of queueing for one', async () => {
    const t = await openTestDatabase('postgres');
    if (t.db.native.dialect !== 'postgres') throw new Error('expected PostgreSQL');
    const pool = t.db.native.pool;
    const held = await Promise.all(Array.from({ length: 4 }, () => pool.connect()));
    try {
      await expect(samplePlan(t.db, 'select 1')).rejects.toBeInstanceOf(PlanDeferred);
    } finally {
      for (const client of held) client.release();
    }
    expect(await samplePlan(t.db, 'select 1')).toMatchObject({ 'Node Type': 'Result' });
    await t.cleanup();

    // The log's side: a deferred capture is tried again at the next slow call, a failed one never.
    const log = new SlowQueryLog({ thresholdMs: 0 });
    const attempts: string[] = [];
    const outcomes = [() => Promise.reject(new PlanDeferred('pool busy')), () => Promise.resolve({ plan: 'second try' })];
    log.explainWith(async (text) => {
      attempts.push(text);
      return outcomes[attempts.length - 1]!();
    });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    log.record('select 1 from t', [], 5);
    await settle();
    log.record('select 1 from t', [], 5);
    await settle();
    log.record('select 1 from t', [], 5);
    await settle();
    expect(attempts).toHaveLength(2);
    expect(log.getSlowQueries()[0]?.samplePlan).toEqual({ plan: 'second try' });
  });
});

describe.each(DIALECTS)('slow-query log (%s)', (dialect) => {
  let t: TestDatabase;
  const lines: Record<string, unknown>[] = [];
  const registry = new Registry();
  beforeAll(async () => {
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    t = await openTestDatabase(dialect, { logger, registry, slowQueries: { thresholdMs: 0, allowParametersFor: ['products'] } });
    t.db.slowQueries?.reset();
  });
  afterAll(async () => t.cleanup());

  it('groups calls by fingerprint with calls, total, mean, p95, max and last seen', async () => {
    for (const code of ['A', 'B', 'C']) {
      await t.db.kysely
        .insertInto('customers')
        .values({ code, name: 'secret name', country: 'DE', segment: 'smb', credit_limit_cents: 0, payment_terms_days: 30 })
        .execute();
    }
    for (const code of ['A', 'B', 'C', 'D']) await t.db.kysely.selectFrom('customers').selectAll().where('code', '=', code).execute();
    const stats = t.db.slowQueries!.getSlowQueries({ limit: 100 });
    const select = stats.find((s) => s.query.startsWith('select') && s.tables.includes('customers'));
    expect(select).toMatchObject({ calls: 4, errors: 0, slowCalls: 4 });
    expect(select!.maxMs).toBeGreaterThanOrEqual(select!.p95Ms);
    expect(select!.totalMs).toBeGreaterThanOrEqual(select!.maxMs);
    expect(select!.meanMs).toBeCloseTo(select!.totalMs / 4, 2);
    expect(Math.abs(Date.parse(select!.lastSeen) - Date.now())).toBeLessThan(60_000);
    const insert = stats.find((s) => s.query.startsWith('insert') && s.tables.includes('customers'));
    expect(insert?.calls).toBe(3);
    expect(JSON.stringify(stats)).not.toContain('secret name');
    expect(insert?.sampleParameters).toContain('<string(11)>');
    expect(JSON.stringify(lines)).not.toContain('secret name');
    expect(lines.some((line) => line.msg === 'slow query')).toBe(true);
    expect(await registry.metrics()).toContain('ai_stack_db_query_duration_seconds_count');
  });

  it('keeps parameters of allow-listed tables and counts failed statements', async () => {
    await t.db.kysely.selectFrom('products').selectAll().where('sku', '=', 'SKU-VISIBLE').execute();
    const products = t.db.slowQueries!.getSlowQueries({ limit: 100 }).find((s) => s.tables.includes('products'));
    expect(products?.sampleParameters).toContain('SKU-VISIBLE');
    await expect(sql`select * from no_such_table where x = ${1}`.execute(t.db.kysely)).rejects.toThrow();
    const failed = t.db.slowQueries!.getSlowQueries({ limit: 100 }).find((s) => s.tables.includes('no_such_table'));
    expect(failed?.errors).toBe(1);
  });

  it('captures a sample plan of a slow statement in the background, without parameter values', async () => {
    const slowCalls = async () => {
      await t.db.kysely.selectFrom('orders').select(['id', 'order_no']).where('customer_id', '=', 424242).orderBy('order_date').execute();
      await sql`select code from customers where name = 'Secret Person' order by code`.execute(t.db.kysely);
    };
    await slowCalls();
    const planOf = (table: string, contains: string) =>
      t.db.slowQueries!.getSlowQueries({ limit: 1000 }).find((s) => s.tables.includes(table) && s.query.includes(contains))?.samplePlan;
    // One capture at a time: the second waits for a later slow call once the first is done.
    await eventually(
      async () => {
        if (planOf('orders', 'order_no') !== undefined && planOf('customers', 'name = ?') !== undefined) return true;
        await slowCalls();
        return false;
      },
      5_000,
      'both sample plans',
    );
    const ordersPlan = JSON.stringify(planOf('orders', 'order_no'));
    const customersPlan = JSON.stringify(planOf('customers', 'name = ?'));
    if (dialect === 'postgres') {
      expect(ordersPlan).toContain('"Node Type"');
      expect(ordersPlan).not.toContain('424242');
    } else {
      expect(ordersPlan).toMatch(/SCAN|SEARCH/);
    }
    expect(customersPlan).toBeDefined();
    expect(customersPlan).not.toContain('Secret Person');
  });

  it("times nothing while the drivers' statement hook is switched off", async () => {
    const hook = t.db.timing.onQuery;
    const calls = () => t.db.slowQueries!.getSlowQueries({ all: true, limit: 1000 }).find((s) => s.tables.includes('accounts'))?.calls ?? 0;
    await t.db.kysely.selectFrom('accounts').selectAll().execute();
    const before = calls();
    expect(before).toBeGreaterThan(0);
    t.db.timing.onQuery = undefined;
    try {
      await t.db.kysely.selectFrom('accounts').selectAll().execute();
      expect(calls()).toBe(before);
    } finally {
      t.db.timing.onQuery = hook;
    }
    await t.db.kysely.selectFrom('accounts').selectAll().execute();
    expect(calls()).toBe(before + 1);
  });

  it('lists nothing as slow under a high threshold, but keeps the statistics', async () => {
    const quiet = await openTestDatabase(dialect, { slowQueries: { thresholdMs: 60_000 } });
    try {
      await quiet.db.kysely.selectFrom('accounts').selectAll().execute();
      expect(quiet.db.slowQueries!.getSlowQueries()).toEqual([]);
      expect(quiet.db.slowQueries!.getSlowQueries({ all: true, limit: 1000 }).some((s) => s.tables.includes('accounts'))).toBe(true);
    } finally {
      await quiet.cleanup();
    }
  });
});
