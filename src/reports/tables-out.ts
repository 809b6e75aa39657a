import type { PivotResult, ReportResult } from './analytics-deps.ts';
import type { ErpReport } from './erp/index.ts';
import type { NumberFormat } from './xlsx/parts.ts';
import type { XlsxColumn, XlsxTotal, XlsxValue } from './xlsx/writer.ts';

/** A report as sheets of typed rows: what every output format (XLSX, CSV, HTML) is written from. */
export interface OutputTable {
  name: string;
  columns: XlsxColumn[];
  rows: XlsxValue[][];
  totals?: (XlsxTotal | undefined)[];
}

const formatOf = (f: string | undefined): NumberFormat =>
  f === 'currency' ? 'currency' : f === 'percent' ? 'percent' : f === 'integer' ? 'integer' : 'number';

/** A flat report: additive measures total as SUBTOTAL formulas; ratios and averages take the database's re-evaluated total. */
export function reportTable(result: ReportResult, name = result.title ?? result.cube): OutputTable {
  const columns: XlsxColumn[] = result.columns.map((c) => ({
    header: c.title,
    type: c.kind === 'measure' ? 'number' : c.type === 'date' ? 'date' : c.type === 'timestamp' ? 'datetime' : c.type === 'number' ? 'number' : 'string',
    ...(c.kind === 'measure' ? { format: formatOf(c.format) } : {}),
  }));
  const rows = result.rows.map((r) => result.columns.map((c) => r[c.key] ?? null));
  const total = result.total;
  const totals = total
    ? result.columns.map((c, i): XlsxTotal | undefined => {
        if (i === 0) return { kind: 'label', text: 'Total' };
        if (c.kind !== 'measure') return undefined;
        const additive = c.format === 'currency' || c.format === 'integer';
        const value = total[c.key];
        return additive && !c.key.endsWith('.change_pct') && !c.key.endsWith('.previous')
          ? { kind: 'sum' }
          : { kind: 'value', value: typeof value === 'number' ? value : null };
      })
    : undefined;
  return { name, columns, rows, ...(totals ? { totals } : {}) };
}

/** A pivot flattened to one row per cell, with its level, so subtotals stay visible and filterable. */
export function pivotTable(result: PivotResult): OutputTable {
  const dims = [...result.rows, ...result.columns];
  const fields = new Map(result.fields.map((f) => [f.key, f]));
  const columns: XlsxColumn[] = [
    ...dims.map((d): XlsxColumn => ({ header: fields.get(d)?.title ?? d, type: fields.get(d)?.type === 'date' ? 'date' : 'string' })),
    { header: 'Level', type: 'string' },
    ...result.measures.map((m): XlsxColumn => ({ header: fields.get(m)?.title ?? m, type: 'number', format: formatOf(fields.get(m)?.format) })),
  ];
  const rows = result.cells.map((c) => [
    ...c.row.map((v, i) => (v === null && i >= c.rowLevel ? 'Total' : v)),
    ...c.column.map((v, i) => (v === null && i >= c.columnLevel ? 'Total' : v)),
    c.rowLevel === result.rows.length && c.columnLevel === result.columns.length
      ? 'detail'
      : c.rowLevel === 0 && c.columnLevel === 0
        ? 'grand total'
        : 'subtotal',
    ...result.measures.map((m) => c.values[m] ?? null),
  ]);
  return { name: result.title ?? `${result.cube} pivot`, columns, rows };
}

/** The seed's ERP reports as sheets. */
export function erpTables(report: ErpReport): OutputTable[] {
  if (report.reportType === 'financial') {
    const s = report.incomeStatement;
    const money = (header: string): XlsxColumn => ({ header, type: 'number', format: 'currency' });
    const lines = [...s.periods.map((p) => ({ ...p, label: p.period })), { ...s.total, label: 'Total' }, { ...s.previousTotal, label: 'Previous period' }];
    return [
      {
        name: 'Income statement',
        columns: [
          { header: 'Period', type: 'string' },
          money('Revenue'),
          money('Cost of goods sold'),
          money('Gross margin'),
          { header: 'Gross margin %', type: 'number', format: 'percent' },
          money('Operating expenses'),
          money('Net income'),
        ],
        rows: lines.map((l) => [l.label, l.revenue, l.cogs, l.grossMargin, l.grossMarginPct, l.operatingExpenses, l.netIncome]),
      },
      {
        name: 'Balance sheet',
        columns: [{ header: 'Section', type: 'string' }, { header: 'Account', type: 'string' }, { header: 'Name', type: 'string' }, money('Balance')],
        rows: [
          ...report.balanceSheet.assets.map((a) => ['Assets', a.account, a.name, a.balance]),
          ...report.balanceSheet.liabilities.map((a) => ['Liabilities', a.account, a.name, a.balance]),
          ...report.balanceSheet.equity.map((a) => ['Equity', a.account, a.name, a.balance]),
          ['Equity', '', 'Retained earnings', report.balanceSheet.retainedEarnings],
          ['Total assets', '', '', report.balanceSheet.totalAssets],
          ['Total liabilities and equity', '', '', report.balanceSheet.totalLiabilitiesAndEquity],
        ],
      },
      {
        name: 'Cash received',
        columns: [{ header: 'Period', type: 'date' }, money('Cash received'), { header: 'Payments', type: 'number', format: 'integer' }],
        rows: report.cashReceived.map((c) => [c.period, c.amount, c.payments]),
        totals: [{ kind: 'label', text: 'Total' }, { kind: 'sum' }, { kind: 'sum' }],
      },
    ];
  }
  if (report.reportType === 'sales') {
    return [
      reportTable(report.byMonth, 'By month'),
      reportTable(report.byRegion, 'By region'),
      reportTable(report.byCategory, 'By category'),
      reportTable(report.topProducts, 'Top products'),
      reportTable(report.topCustomers, 'Top customers'),
    ];
  }
  const money = (header: string): XlsxColumn => ({ header, type: 'number', format: 'currency' });
  return [
    {
      name: `Ageing ${report.asOf}`,
      columns: [{ header: 'Customer', type: 'string' }, money('0–30 days'), money('31–60 days'), money('61–90 days'), money('Over 90 days'), money('Total')],
      rows: report.customers.map((c) => [c.customer, c['0-30'], c['31-60'], c['61-90'], c['90+'], c.total]),
      totals: [{ kind: 'label', text: 'Total' }, { kind: 'sum' }, { kind: 'sum' }, { kind: 'sum' }, { kind: 'sum' }, { kind: 'sum' }],
    },
  ];
}
