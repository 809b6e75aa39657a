import { sql } from 'kysely';
import type { Db } from '../../db/index.ts';

export const AGEING_BUCKETS = ['0-30', '31-60', '61-90', '90+'] as const;

export interface AgeingRow {
  customerId: number;
  customer: string;
  '0-30': number;
  '31-60': number;
  '61-90': number;
  '90+': number;
  total: number;
}

export interface ReceivablesReport {
  reportType: 'receivables';
  asOf: string;
  customers: AgeingRow[];
  totals: Omit<AgeingRow, 'customerId' | 'customer'>;
}

/**
 * Receivables ageing as of a day: what each customer still owes on invoices issued by then (invoice total minus
 * payments received by then), bucketed by days past the due date (not yet due counts as 0–30).
 */
export async function receivablesReport(db: Db, asOf: string): Promise<ReceivablesReport> {
  const daysPastDue = db.dialect === 'postgres' ? sql`(cast(${asOf} as date) - i.due_date)` : sql`(julianday(${asOf}) - julianday(i.due_date))`;
  const paid = sql`coalesce((select sum(y.amount_cents) from payments as y where y.invoice_id = i.id and y.paid_on <= ${asOf}), 0)`;
  const bucket = sql`case when ${daysPastDue} <= 30 then 0 when ${daysPastDue} <= 60 then 1 when ${daysPastDue} <= 90 then 2 else 3 end`;
  const rows = await sql<{ customer_id: number | string; customer: string; bucket: number | string; outstanding: number | string }>`
    select o.customer_id, o.customer, o.bucket, sum(o.outstanding) as outstanding
    from (
      select i.customer_id, c.name as customer, ${bucket} as bucket, i.total_cents - ${paid} as outstanding
      from invoices as i join customers as c on c.id = i.customer_id
      where i.issue_date <= ${asOf} and i.status <> 'void'
    ) as o
    where o.outstanding <> 0
    group by o.customer_id, o.customer, o.bucket`.execute(db.kysely);
  const byCustomer = new Map<number, AgeingRow>();
  const totalsCents = [0, 0, 0, 0];
  for (const r of rows.rows) {
    const id = Number(r.customer_id);
    const row = byCustomer.get(id) ?? { customerId: id, customer: r.customer, '0-30': 0, '31-60': 0, '61-90': 0, '90+': 0, total: 0 };
    const b = Number(r.bucket);
    const amount = Number(r.outstanding);
    row[AGEING_BUCKETS[b]!] += amount;
    row.total += amount;
    totalsCents[b]! += amount;
    byCustomer.set(id, row);
  }
  // Summed in cents (exact), shown in currency units.
  const customers = [...byCustomer.values()].map((r) => ({
    ...r,
    '0-30': r['0-30'] / 100,
    '31-60': r['31-60'] / 100,
    '61-90': r['61-90'] / 100,
    '90+': r['90+'] / 100,
    total: r.total / 100,
  }));
  customers.sort((a, b) => b.total - a.total || a.customerId - b.customerId);
  const [b0, b1, b2, b3] = totalsCents as [number, number, number, number];
  return {
    reportType: 'receivables',
    asOf,
    customers,
    totals: { '0-30': b0 / 100, '31-60': b1 / 100, '61-90': b2 / 100, '90+': b3 / 100, total: (b0 + b1 + b2 + b3) / 100 },
  };
}
