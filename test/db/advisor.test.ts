import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adviseIndexes, indexHealth, loadDemoData } from '../../src/db/index.ts';
import { ValidationError } from '../../src/shared/errors.ts';
import { DIALECTS, indexNames, openTestDatabase, type TestDatabase } from '../support/db.ts';

// A fixed workload on demo data, where the migrations deliberately leave analytics columns unindexed.
describe.each(DIALECTS)('index advisor (%s)', (dialect) => {
  let t: TestDatabase;
  let indexesBefore: string[];
  beforeAll(async () => {
    t = await openTestDatabase(dialect);
    await loadDemoData(t.db, { orders: 30_000, seed: 5 });
    indexesBefore = await indexNames(t);
  }, 120_000);
  afterAll(async () => t.cleanup());

  it.each([
    ["select * from ledger_entries where reference = 'INV-00001234'", [['ledger_entries', ['reference']]]],
    ["select * from orders where order_date >= '2026-11-01' and order_date < '2026-11-08' order by order_date", [['orders', ['order_date']]]],
    [
      "select sum(debit_cents) from ledger_entries where account_code = '6200' and entry_date between '2026-01-01' and '2026-01-31'",
      [['ledger_entries', ['account_code', 'entry_date']]],
    ],
  ] as const)('proposes exactly the index that makes %s at least 10x cheaper', async (query, expected) => {
    const report = await adviseIndexes(t.db, query);
    expect(report.suggestions.map((s) => [s.table, s.columns])).toEqual(expected);
    for (const suggestion of report.suggestions) {
      // SQLite claims the measured gain (PostgreSQL the planner's), which is at least the 2× threshold.
      expect(suggestion.speedup).toBeGreaterThanOrEqual(dialect === 'sqlite' ? 2 : 10);
      expect(suggestion.costAfter).toBeLessThan(suggestion.costBefore);
      expect(suggestion.statement).toMatch(/^create index (concurrently )?"\w+" on "\w+" \(/);
    }
    expect(report.costAfter).toBeLessThan(report.costBefore);
  });

  it('plans parameterised statements (placeholders, no values)', async () => {
    const placeholder = dialect === 'postgres' ? '$1' : '?';
    const report = await adviseIndexes(t.db, `select * from payments where paid_on = ${placeholder}`);
    expect(report.suggestions.map((s) => s.columns)).toEqual([['paid_on']]);
  });

  it.each([
    'select * from orders where id = 42',
    'select o.order_no, c.name from orders o join customers c on c.id = o.customer_id where o.customer_id = 7',
    "select * from accounts where name = 'Rent'",
  ])('suggests nothing for an already well-served or tiny query, and says why: %s', async (query) => {
    const report = await adviseIndexes(t.db, query);
    expect(report.suggestions).toEqual([]);
    expect(report.reason).toMatch(/\w+/);
  });

  it('leaves the database unchanged', async () => {
    expect(await indexNames(t)).toEqual(indexesBefore);
  });

  it.each([
    '',
    'delete from orders',
    'select 1; drop table customers',
    'select * from orders where note = (delete from x)',
    `select ${'x,'.repeat(20_000)} 1`,
    42 as unknown as string,
  ])('rejects hostile or malformed input %#', async (statement) => {
    await expect(adviseIndexes(t.db, statement)).rejects.toBeInstanceOf(ValidationError);
  });
});

describe.each(DIALECTS)('index health (%s)', (dialect) => {
  it('flags a duplicate index (prefix of another) and, on PostgreSQL, unused ones', async () => {
    const t = await openTestDatabase(dialect);
    try {
      await t.db.kysely.schema.createIndex('orders_date_idx').on('orders').column('order_date').execute();
      await t.db.kysely.schema.createIndex('orders_date_status_idx').on('orders').columns(['order_date', 'status']).execute();
      const report = await indexHealth(t.db);
      expect(report.duplicates).toContainEqual({ table: 'orders', index: 'orders_date_idx', coveredBy: 'orders_date_status_idx' });
      expect(report.duplicates.some((d) => d.index === 'orders_date_status_idx')).toBe(false);
      if (dialect === 'postgres') expect(report.unused.map((u) => u.index)).toContain('orders_date_status_idx');
      else expect(report.notes.length).toBeGreaterThan(0);
      expect(report.invalid).toEqual([]);
    } finally {
      await t.cleanup();
    }
  });
});
