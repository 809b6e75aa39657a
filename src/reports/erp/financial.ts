import { sql } from 'kysely';
import { ERP_CUBES, runReport, type Grain, type QueryCacheLike } from '../analytics-deps.ts';
import type { Db } from '../../db/index.ts';
import { ACCOUNTS } from '../../db/index.ts';

export interface PeriodLine {
  period: string;
  revenue: number;
  cogs: number;
  grossMargin: number;
  grossMarginPct: number | null;
  operatingExpenses: number;
  netIncome: number;
}

export interface IncomeStatement {
  grain: Grain;
  periods: PeriodLine[];
  total: Omit<PeriodLine, 'period'>;
  /** The same lines for the period just before (same length), for comparison. */
  previousTotal: Omit<PeriodLine, 'period'>;
  changePct: { revenue: number | null; netIncome: number | null };
}

export interface BalanceSheet {
  asOf: string;
  assets: { account: string; name: string; balance: number }[];
  liabilities: { account: string; name: string; balance: number }[];
  equity: { account: string; name: string; balance: number }[];
  retainedEarnings: number;
  totalAssets: number;
  totalLiabilitiesAndEquity: number;
}

export interface FinancialReport {
  reportType: 'financial';
  startDate: string;
  endDate: string;
  incomeStatement: IncomeStatement;
  balanceSheet: BalanceSheet;
  cashReceived: { period: string; amount: number; payments: number }[];
  cashReceivedTotal: number;
}

const cents = (v: number) => Math.round(v * 100) / 100;

function line(revenue: number, cogs: number, opex: number): Omit<PeriodLine, 'period'> {
  const grossMargin = cents(revenue - cogs);
  return {
    revenue: cents(revenue),
    cogs: cents(cogs),
    grossMargin,
    grossMarginPct: revenue === 0 ? null : (grossMargin / revenue) * 100,
    operatingExpenses: cents(opex),
    netIncome: cents(grossMargin - opex),
  };
}

/** The financial report of the seed's `generate_erp_report({ reportType: 'financial', startDate, endDate })`, from the ledger. */
export async function financialReport(
  db: Db,
  range: { startDate: string; endDate: string; grain?: Grain },
  queryCache?: QueryCacheLike,
): Promise<FinancialReport> {
  const grain = range.grain ?? 'month';
  const cache = queryCache ? { queryCache } : {};
  const statement = await runReport(
    db,
    {
      cube: 'ledger',
      dimensions: ['account_type', { field: 'entry_date', grain }],
      measures: ['net'],
      filters: [{ field: 'account_type', op: 'in', values: ['revenue', 'cogs', 'expense'] }],
      dateRange: { from: range.startDate, to: range.endDate },
      compare: 'previous_period',
      limit: 100_000,
    },
    { cubes: ERP_CUBES, ...cache },
  );
  const key = `entry_date.${grain}`;
  const byPeriod = new Map<string, { revenue: number; cogs: number; opex: number }>();
  const totals = { revenue: 0, cogs: 0, opex: 0 };
  const previous = { revenue: 0, cogs: 0, opex: 0 };
  for (const row of statement.rows) {
    const period = String(row[key]);
    const entry = byPeriod.get(period) ?? { revenue: 0, cogs: 0, opex: 0 };
    const add = (target: { revenue: number; cogs: number; opex: number }, net: number) => {
      // net = debit − credit: revenue is a credit balance, costs are debit balances.
      if (row.account_type === 'revenue') target.revenue -= net;
      else if (row.account_type === 'cogs') target.cogs += net;
      else target.opex += net;
    };
    add(entry, Number(row.net ?? 0));
    add(totals, Number(row.net ?? 0));
    add(previous, Number(row['net.previous'] ?? 0));
    byPeriod.set(period, entry);
  }
  const periods = [...byPeriod.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([period, v]) => ({ period, ...line(v.revenue, v.cogs, v.opex) }));
  const total = line(totals.revenue, totals.cogs, totals.opex);
  const previousTotal = line(previous.revenue, previous.cogs, previous.opex);
  const change = (now: number, then: number) => (then === 0 ? null : ((now - then) / Math.abs(then)) * 100);

  const cash = await runReport(
    db,
    {
      cube: 'payments',
      dimensions: [{ field: 'paid_on', grain }],
      measures: ['amount', 'count'],
      dateRange: { from: range.startDate, to: range.endDate },
      limit: 100_000,
    },
    { cubes: ERP_CUBES, ...cache },
  );
  const cashReceived = cash.rows.map((r) => ({ period: String(r[`paid_on.${grain}`]), amount: Number(r.amount ?? 0), payments: Number(r.count ?? 0) }));
  return {
    reportType: 'financial',
    startDate: range.startDate,
    endDate: range.endDate,
    incomeStatement: {
      grain,
      periods,
      total,
      previousTotal,
      changePct: { revenue: change(total.revenue, previousTotal.revenue), netIncome: change(total.netIncome, previousTotal.netIncome) },
    },
    balanceSheet: await balanceSheet(db, range.endDate),
    cashReceived,
    cashReceivedTotal: cents(cashReceived.reduce((s, r) => s + r.amount, 0)),
  };
}

/** Balances of every account up to and including `asOf`; income accounts close into retained earnings. */
export async function balanceSheet(db: Db, asOf: string): Promise<BalanceSheet> {
  const rows = await db.kysely
    .selectFrom('accounts as a')
    .leftJoin('ledger_entries as e', (j) => j.onRef('e.account_code', '=', 'a.code').on('e.entry_date', '<=', asOf))
    .select(['a.code', 'a.name', 'a.type', sql<string | number>`coalesce(sum(e.debit_cents - e.credit_cents), 0)`.as('net')])
    .groupBy(['a.code', 'a.name', 'a.type'])
    .orderBy('a.code')
    .execute();
  const pick = (type: string, sign: 1 | -1) =>
    rows.filter((r) => r.type === type).map((r) => ({ account: r.code, name: r.name, balance: (sign * Number(r.net)) / 100 }));
  const assets = pick('asset', 1);
  const liabilities = pick('liability', -1);
  const equity = pick('equity', -1);
  const retainedEarnings = rows.filter((r) => ['revenue', 'cogs', 'expense'].includes(r.type)).reduce((s, r) => s - Number(r.net), 0) / 100;
  const sum = (list: { balance: number }[]) => list.reduce((s, r) => s + r.balance, 0);
  return {
    asOf,
    assets,
    liabilities,
    equity,
    retainedEarnings: cents(retainedEarnings),
    totalAssets: cents(sum(assets)),
    totalLiabilitiesAndEquity: cents(sum(liabilities) + sum(equity) + retainedEarnings),
  };
}

export { ACCOUNTS };
