import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.ts';
import { DEMO_TABLES, loadDemoData } from '../../src/db/index.ts';
import { ConflictError, ValidationError } from '../../src/shared/errors.ts';
import { DIALECTS, indexNames, openTestDatabase, type TestDatabase } from '../support/db.ts';

async function digest(db: Db): Promise<string> {
  const hash = createHash('sha256');
  for (const table of DEMO_TABLES) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)} order by id`.execute(db.kysely);
    for (const row of rows) hash.update(JSON.stringify(row));
  }
  return hash.digest('hex');
}

async function scalar(db: Db, query: ReturnType<typeof sql<{ v: unknown }>>): Promise<number> {
  const { rows } = await query.execute(db.kysely);
  return Number(rows[0]?.v ?? NaN);
}

describe.each(DIALECTS)('demo data (%s)', (dialect) => {
  let t: TestDatabase;
  let indexesBefore: string[];
  beforeAll(async () => {
    t = await openTestDatabase(dialect);
    indexesBefore = await indexNames(t);
  });
  afterAll(async () => t.cleanup());

  it('loads a small history with consistent counts and progress', async () => {
    const phases: string[] = [];
    const report = await loadDemoData(t.db, { orders: 200, seed: 7, chunkOrders: 64, onProgress: (p) => phases.push(`${p.phase}:${p.ordersDone}`) });
    expect(report.rows.orders).toBe(200);
    expect(report.rows.customers).toBe(50);
    expect(report.rows.products).toBe(500);
    expect(report.rows.order_lines).toBeGreaterThanOrEqual(200);
    expect(report.rows.invoices).toBeGreaterThan(100);
    expect(phases).toEqual(['customers:0', 'products:0', 'orders:64', 'orders:128', 'orders:192', 'orders:200', 'expenses:200']);
    for (const table of DEMO_TABLES) {
      expect(await scalar(t.db, sql`select count(*) as v from ${sql.table(table)}`)).toBe(report.rows[table]);
    }
    expect(await indexNames(t)).toEqual(indexesBefore);
  });

  it('keeps referential integrity and business rules', async () => {
    const db = t.db;
    expect(await scalar(db, sql`select count(*) as v from order_lines l left join orders o on o.id = l.order_id where o.id is null`)).toBe(0);
    expect(await scalar(db, sql`select count(*) as v from payments p left join invoices i on i.id = p.invoice_id where i.id is null`)).toBe(0);
    expect(
      await scalar(
        db,
        sql`select count(*) as v from orders o where o.total_cents <> (select sum(line_total_cents) from order_lines l where l.order_id = o.id)`,
      ),
    ).toBe(0);
    expect(
      await scalar(
        db,
        sql`select count(*) as v from invoices i join orders o on o.id = i.order_id where i.total_cents <> o.total_cents or i.customer_id <> o.customer_id`,
      ),
    ).toBe(0);
    expect(await scalar(db, sql`select count(*) as v from orders where status in ('invoiced','paid') and id not in (select order_id from invoices)`)).toBe(0);
    expect(await scalar(db, sql`select count(*) as v from products where unit_cost_cents >= unit_price_cents`)).toBe(0);
    expect(
      await scalar(
        db,
        sql`select count(*) as v from invoices i where i.status = 'paid' and i.total_cents <> (select sum(amount_cents) from payments p where p.invoice_id = i.id)`,
      ),
    ).toBe(0);
    expect(await scalar(db, sql`select count(distinct substr(cast(order_date as text), 1, 4)) as v from orders`)).toBeGreaterThanOrEqual(3);
    // Receivables ageing needs open, partly paid and overdue invoices.
    expect(await scalar(db, sql`select count(*) as v from invoices where status = 'open'`)).toBeGreaterThan(0);
  });

  it('posts a balanced double-entry ledger from which an income statement follows', async () => {
    const db = t.db;
    expect(await scalar(db, sql`select sum(debit_cents) - sum(credit_cents) as v from ledger_entries`)).toBe(0);
    const revenue = await scalar(db, sql`select sum(credit_cents) - sum(debit_cents) as v from ledger_entries where account_code = '4000'`);
    const cogs = await scalar(db, sql`select sum(debit_cents) - sum(credit_cents) as v from ledger_entries where account_code = '5000'`);
    expect(revenue).toBe(await scalar(db, sql`select sum(total_cents) as v from invoices`));
    expect(cogs).toBeGreaterThan(0);
    expect(cogs).toBeLessThan(revenue);
    const receivables = await scalar(db, sql`select sum(debit_cents) - sum(credit_cents) as v from ledger_entries where account_code = '1100'`);
    const unpaid = await scalar(db, sql`select sum(i.total_cents) - coalesce((select sum(p.amount_cents) from payments p), 0) as v from invoices i`);
    expect(receivables).toBe(unpaid);
    expect(await scalar(db, sql`select count(distinct account_code) as v from ledger_entries where account_code like '6%'`)).toBeGreaterThanOrEqual(5);
  });

  it('refuses to load into non-empty tables, and appends when asked', async () => {
    await expect(loadDemoData(t.db, { orders: 10 })).rejects.toBeInstanceOf(ConflictError);
    const maxBefore = await scalar(t.db, sql`select max(id) as v from orders`);
    const report = await loadDemoData(t.db, { orders: 20, seed: 8, append: true });
    expect(report.rows.orders).toBe(20);
    expect(await scalar(t.db, sql`select min(id) as v from orders where id > ${maxBefore}`)).toBe(maxBefore + 1);
    expect(await scalar(t.db, sql`select sum(debit_cents) - sum(credit_cents) as v from ledger_entries`)).toBe(0);
    // Identity/autoincrement continues after the loaded ids.
    const { id } = await t.db.kysely
      .insertInto('customers')
      .values({ code: 'NEW', name: 'n', country: 'DE', segment: 'smb', credit_limit_cents: 0, payment_terms_days: 30 })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(id).toBe(await scalar(t.db, sql`select max(id) as v from customers`));
  });

  it.each([
    [{ orders: -1 }],
    [{ orders: 1.5 }],
    [{ orders: Number.NaN }],
    [{ orders: '100' as unknown as number }],
    [{ orders: 1e12 }],
    [{ orders: 10, seed: -5 }],
    [{ orders: 10, endDate: 'yesterday' }],
    [{ orders: 10, chunkOrders: 0 }],
  ])('rejects invalid options %j', async (options) => {
    await expect(loadDemoData(t.db, options)).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('demo data determinism', () => {
  it('produces identical rows for the same seed on both dialects, different rows for another seed', async () => {
    const dbs = await Promise.all([openTestDatabase('sqlite'), openTestDatabase('postgres'), openTestDatabase('sqlite')]);
    try {
      const [a, b, c] = dbs;
      await loadDemoData(a.db, { orders: 150, seed: 99 });
      await loadDemoData(b.db, { orders: 150, seed: 99 });
      await loadDemoData(c.db, { orders: 150, seed: 100 });
      const [da, db, dc] = [await digest(a.db), await digest(b.db), await digest(c.db)];
      expect(da).toBe(db);
      expect(da).not.toBe(dc);
    } finally {
      await Promise.all(dbs.map((d) => d.cleanup()));
    }
  });
});
