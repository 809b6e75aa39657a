// What the reports module takes from ai-stack/analytics (through its public face only).
export { ERP_CUBES, runReport, runPivot, type Grain, type ReportDefinition, type ReportResult, type PivotResult } from '../analytics/index.ts';
export type { QueryCache as QueryCacheLike } from '../db/index.ts';
