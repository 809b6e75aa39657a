import { ERP_CUBES, runReport, type QueryCacheLike, type ReportResult } from '../analytics-deps.ts';
import type { Db } from '../../db/index.ts';

export interface SalesReport {
  reportType: 'sales';
  startDate: string;
  endDate: string;
  /** By month with the same month a year earlier and the growth. */
  byMonth: ReportResult;
  byRegion: ReportResult;
  byCategory: ReportResult;
  topProducts: ReportResult;
  topCustomers: ReportResult;
  total: ReportResult['total'];
}

/** Sales of invoiced and paid orders: by month (with year-on-year growth), region, category, top N products and customers. */
export async function salesReport(db: Db, range: { startDate: string; endDate: string; top?: number }, queryCache?: QueryCacheLike): Promise<SalesReport> {
  const base = { cube: 'sales', segments: ['completed'], dateRange: { from: range.startDate, to: range.endDate } };
  const options = { cubes: ERP_CUBES, ...(queryCache ? { queryCache } : {}) };
  const measures = ['revenue', 'margin', 'margin_pct', 'orders'];
  const top = range.top ?? 10;
  const [byMonth, byRegion, byCategory, topProducts, topCustomers] = await Promise.all([
    runReport(db, { ...base, dimensions: [{ field: 'order_date', grain: 'month' }], measures, compare: 'previous_year', totals: true }, options),
    runReport(db, { ...base, dimensions: ['region'], measures, sort: [{ field: 'revenue', direction: 'desc' }], totals: true }, options),
    runReport(db, { ...base, dimensions: ['category'], measures, sort: [{ field: 'revenue', direction: 'desc' }], totals: true }, options),
    runReport(db, { ...base, dimensions: ['product'], measures, sort: [{ field: 'revenue', direction: 'desc' }], limit: top }, options),
    runReport(db, { ...base, dimensions: ['customer'], measures, sort: [{ field: 'revenue', direction: 'desc' }], limit: top }, options),
  ]);
  return {
    reportType: 'sales',
    startDate: range.startDate,
    endDate: range.endDate,
    byMonth,
    byRegion,
    byCategory,
    topProducts,
    topCustomers,
    total: byRegion.total,
  };
}
