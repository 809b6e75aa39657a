// ai-stack/reports: ERP reports, saved definitions, outputs (JSON, CSV, XLSX, HTML) and the report tasks. Public face.
export { generateErpReport, financialReport, balanceSheet, salesReport, receivablesReport, AGEING_BUCKETS, ERP_REPORT_TYPES, type ErpReport, type ErpReportArgs, type ErpReportType, type FinancialReport, type SalesReport, type ReceivablesReport, type IncomeStatement, type BalanceSheet, type AgeingRow } from './erp/index.ts';
export { DefinitionStore, type SavedDefinition, type DefinitionInput } from './definitions.ts';
