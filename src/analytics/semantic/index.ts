export { ERP_CUBES } from './erp-cubes.ts';
export { ReportDefinitionSchema, REPORT_LIMITS, type ReportDefinition } from './definition.ts';
export { resolveReport, type ResolvedReport } from './resolve.ts';
export { compileReport, type CompiledReport } from './compile.ts';
export { runReport, sortRows, type ReportResult, type RunOptions } from './report.ts';
export { runPivot, type PivotCell, type PivotResult } from './pivot.ts';
export { prepareDatabase, ReportTooLargeError, type CellValue, type ReportColumn, type ReportRow } from './execute.ts';
export { GRAINS, RELATIVE_RANGES, resolveRelative, type Grain, type RelativeRange, type DayRange } from './dates.ts';
export type { Cube, Dimension, Measure } from './types.ts';
