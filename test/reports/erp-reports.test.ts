import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoData } from '../../src/db/index.ts';
import { generateErpReport, type FinancialReport, type ReceivablesReport, type SalesReport } from '../../src/reports/index.ts';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/db.ts';

describe.each(DIALECTS)('ERP reports reconcile with the ledger (%s)', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(dialect);
    await loadDemoData(t.db, { orders: 3000, endDate: '2025-12-31' });
  });
  afterAll(() => t.cleanup());

  const ledgerCents = async (types: string[], from: string, to: string) => {
    const { rows } = await sql<{
      v: string | number | null;
    }>`select sum(e.credit_cents - e.debit_cents) as v from ledger_entries e join accounts a on a.code = e.account_code
      where a.type in (${sql.join(types)}) and e.entry_date >= ${from} and e.entry_date <= ${to}`.execute(t.db.kysely);
    return Number(rows[0]?.v ?? 0);
  };

  it('income statement: net income = the change of the income accounts in the ledger; revenue and COGS too', async () => {
    const report = (await generateErpReport(t.db, { reportType: 'financial', startDate: '2025-01-01', endDate: '2025-12-31' })) as FinancialReport;
    const { total, periods } = report.incomeStatement;
    expect(periods).toHaveLength(12);
    expect(Math.round(total.netIncome * 100)).toBe(await ledgerCents(['revenue', 'cogs', 'expense'], '2025-01-01', '2025-12-31'));
    expect(Math.round(total.revenue * 100)).toBe(await ledgerCents(['revenue'], '2025-01-01', '2025-12-31'));
    expect(Math.round(total.cogs * 100)).toBe(-(await ledgerCents(['cogs'], '2025-01-01', '2025-12-31')));
    expect(total.revenue).toBeGreaterThan(0);
    // The periods add up to the total (sums are additive; margin % is re-evaluated, not summed).
    expect(Math.round(periods.reduce((s, p) => s + p.netIncome, 0) * 100)).toBe(Math.round(total.netIncome * 100));
    expect(total.grossMarginPct).toBeCloseTo((total.grossMargin / total.revenue) * 100, 10);
    // Comparison: the previous period is 2024, straight from the ledger.
    expect(Math.round(report.incomeStatement.previousTotal.netIncome * 100)).toBe(
      await ledgerCents(['revenue', 'cogs', 'expense'], '2024-01-01', '2024-12-31'),
    );
  });

  it('balance sheet balances: assets = liabilities + equity + retained earnings', async () => {
    const report = (await generateErpReport(t.db, { reportType: 'financial', startDate: '2025-01-01', endDate: '2025-12-31' })) as FinancialReport;
    expect(report.balanceSheet.totalAssets).toBeCloseTo(report.balanceSheet.totalLiabilitiesAndEquity, 2);
    const cash = await sql<{
      v: string | number;
    }>`select coalesce(sum(amount_cents), 0) as v from payments where paid_on between '2025-01-01' and '2025-12-31'`.execute(t.db.kysely);
    expect(Math.round(report.cashReceivedTotal * 100)).toBe(Number(cash.rows[0]!.v));
  });

  it('receivables ageing total = open invoices less their payments = the receivables account balance', async () => {
    const report = (await generateErpReport(t.db, { reportType: 'receivables', startDate: '2025-01-01', endDate: '2025-12-31' })) as ReceivablesReport;
    const open = await sql<{
      v: string | number;
    }>`select coalesce(sum(i.total_cents - coalesce((select sum(amount_cents) from payments y where y.invoice_id = i.id), 0)), 0) as v from invoices i where i.status = 'open'`.execute(
      t.db.kysely,
    );
    expect(Math.round(report.totals.total * 100)).toBe(Number(open.rows[0]!.v));
    const ar = await sql<{ v: string | number }>`select sum(debit_cents - credit_cents) as v from ledger_entries where account_code = '1100'`.execute(
      t.db.kysely,
    );
    expect(Math.round(report.totals.total * 100)).toBe(Number(ar.rows[0]!.v));
    const buckets = report.totals['0-30'] + report.totals['31-60'] + report.totals['61-90'] + report.totals['90+'];
    expect(Math.round(buckets * 100)).toBe(Math.round(report.totals.total * 100));
    expect(report.customers.length).toBeGreaterThan(0);
  });

  it('sales: by month with year-on-year growth, regions summing to the total, top N', async () => {
    const report = (await generateErpReport(t.db, { reportType: 'sales', startDate: '2025-01-01', endDate: '2025-12-31', top: 5 })) as SalesReport;
    expect(report.topProducts.rows).toHaveLength(5);
    const revenues = report.topProducts.rows.map((r) => Number(r.revenue));
    expect([...revenues].sort((a, b) => b - a)).toEqual(revenues);
    const regionSum = report.byRegion.rows.reduce((s, r) => s + Math.round(Number(r.revenue) * 100), 0);
    expect(regionSum).toBe(Math.round(Number(report.total!.revenue) * 100));
    expect(report.byMonth.rows[0]).toHaveProperty('revenue.change_pct');
  });

  it('refuses bad dates with a 400-class error', async () => {
    await expect(generateErpReport(t.db, { reportType: 'financial', startDate: '2025-13-01', endDate: '2025-12-31' })).rejects.toMatchObject({ status: 400 });
    await expect(generateErpReport(t.db, { reportType: 'financial', startDate: '2026-01-01', endDate: '2025-12-31' })).rejects.toMatchObject({ status: 400 });
  });
});
