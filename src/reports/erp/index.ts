import type { Db } from '../../db/index.ts';
import { ValidationError } from '../../shared/errors.ts';
import type { QueryCacheLike } from '../analytics-deps.ts';
import { financialReport, type FinancialReport } from './financial.ts';
import { receivablesReport, type ReceivablesReport } from './receivables.ts';
import { salesReport, type SalesReport } from './sales.ts';

export { financialReport, balanceSheet, type FinancialReport, type IncomeStatement, type BalanceSheet } from './financial.ts';
export { salesReport, type SalesReport } from './sales.ts';
export { receivablesReport, AGEING_BUCKETS, type ReceivablesReport, type AgeingRow } from './receivables.ts';

export const ERP_REPORT_TYPES = ['financial', 'sales', 'receivables'] as const;
export type ErpReportType = (typeof ERP_REPORT_TYPES)[number];
export type ErpReport = FinancialReport | SalesReport | ReceivablesReport;

export interface ErpReportArgs {
  reportType: ErpReportType;
  startDate: string;
  endDate: string;
  top?: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Runs one of the seed's ERP reports (`generate_erp_report`). */
export async function generateErpReport(db: Db, args: ErpReportArgs, queryCache?: QueryCacheLike): Promise<ErpReport> {
  for (const field of ['startDate', 'endDate'] as const) {
    if (!DATE.test(args[field]) || Number.isNaN(Date.parse(args[field])))
      throw new ValidationError(`${field} must be a date YYYY-MM-DD`, [{ field, message: 'must be a date YYYY-MM-DD' }]);
  }
  if (args.startDate > args.endDate) throw new ValidationError('startDate is after endDate', [{ field: 'startDate', message: 'must not be after endDate' }]);
  switch (args.reportType) {
    case 'financial':
      return financialReport(db, args, queryCache);
    case 'sales':
      return salesReport(db, args, queryCache);
    case 'receivables':
      return receivablesReport(db, args.endDate);
  }
}
