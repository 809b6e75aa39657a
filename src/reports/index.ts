// ai-stack/reports: ERP reports, saved definitions, outputs (JSON, CSV, XLSX, HTML) and the report tasks. Public face.
export {
  generateErpReport,
  financialReport,
  balanceSheet,
  salesReport,
  receivablesReport,
  AGEING_BUCKETS,
  ERP_REPORT_TYPES,
  type ErpReport,
  type ErpReportArgs,
  type ErpReportType,
  type FinancialReport,
  type SalesReport,
  type ReceivablesReport,
  type IncomeStatement,
  type BalanceSheet,
  type AgeingRow,
} from './erp/index.ts';
export { DefinitionStore, type SavedDefinition, type DefinitionInput } from './definitions.ts';
export { reportRoutes, type ReportRouteOptions } from './routes.ts';
export { createReportTasks, buildDashboard, REPORT_TASKS, type ReportTaskDeps, type DashboardSnapshot } from './tasks.ts';
export { FsReportFileStore, reportFilesDir, type ReportFileStore } from './files.ts';
export { ReportDownloads, type StoredReportFile } from './downloads.ts';
export { reportDb } from './tables.ts';
export { XlsxWriter, SheetWriter, MAX_DATA_ROWS, type XlsxColumn, type XlsxTotal, type XlsxValue } from './xlsx/writer.ts';
export { writeXlsx, writeCsv, OUTPUT_FORMATS, MEDIA_TYPES, type OutputFormat } from './outputs.ts';
export { reportTable, pivotTable, erpTables, type OutputTable } from './tables-out.ts';
export { renderChartSvg, renderChartPng, CHART_FONT, type ChartSpec } from './charts.ts';
export { renderHtml } from './html.ts';
