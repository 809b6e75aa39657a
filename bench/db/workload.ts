import { sql } from 'kysely';
import type { Db } from '../../src/db/index.ts';

/** ERP queries whose indexes the migrations deliberately leave out (dates, references, accounts). */
export const ADVISOR_WORKLOAD = [
  {
    name: 'orders_in_week',
    sql: "select id, order_no, total_cents from orders where order_date >= '2026-11-01' and order_date < '2026-11-08' order by order_date",
  },
  { name: 'ledger_by_reference', sql: "select * from ledger_entries where reference = 'INV-00012345'" },
  {
    name: 'expense_account_month',
    sql: "select sum(debit_cents) as total from ledger_entries where account_code = '6200' and entry_date between '2026-01-01' and '2026-01-31'",
  },
  { name: 'payments_on_day', sql: "select count(*) as n, sum(amount_cents) as total from payments where paid_on = '2026-06-30'" },
  { name: 'order_by_id (already indexed)', sql: 'select * from orders where id = 4242' },
] as const;

export async function median(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

export async function runRaw(db: Db, text: string): Promise<unknown> {
  return (await sql.raw(text).execute(db.kysely)).rows;
}
