import type { Db } from '../../db/index.ts';
import type { DayRange } from './dates.ts';
import type { ReportDefinition } from './definition.ts';
import { reportColumns, runReportQuery, type CellValue, type GroupRow, type ReportColumn } from './execute.ts';
import { compareValues, type RunOptions } from './report.ts';
import { resolveReport } from './resolve.ts';

export interface PivotCell {
  /** Row dimension values; null where the level rolls a dimension up (a subtotal or the total). */
  row: CellValue[];
  column: CellValue[];
  /** How many row (column) dimensions this cell keeps: rows.length = detail, 0 = total over all rows. */
  rowLevel: number;
  columnLevel: number;
  values: Record<string, number | null>;
  /** Share of the row total, column total and grand total, in percent, for additive measures. */
  percent?: Record<string, { row?: number | null; column?: number | null; grand?: number | null }>;
}

export interface PivotResult {
  title: string | undefined;
  cube: string;
  rows: string[];
  columns: string[];
  measures: string[];
  fields: ReportColumn[];
  cells: PivotCell[];
  dateRange?: DayRange;
}

/**
 * Runs a pivot: every cell, subtotal and total comes from the database at its own grouping level, so ratios,
 * averages and distinct counts are re-evaluated there, never added up from the cells below.
 */
export async function runPivot(db: Db, definition: ReportDefinition, options: RunOptions): Promise<PivotResult> {
  const resolved = resolveReport({ ...definition, rows: definition.rows ?? [], columns: definition.columns ?? [] }, options.cubes, options.now);
  const { rows } = await runReportQuery(db, resolved, options.queryCache);
  const r = resolved.rows.length;
  const n = r + resolved.columns.length;
  const cells = rows.map((g) => toCell(g, r, n));
  cells.sort((a, b) => compareCells(a, b));
  if (resolved.percent.length > 0)
    addPercentages(
      cells,
      resolved.measures.filter((m) => isAdditive(m.def.agg)).map((m) => m.key),
      resolved.percent,
      r,
      resolved.columns.length,
    );
  return {
    title: definition.title,
    cube: resolved.cube.name,
    rows: resolved.rows.map((d) => d.key),
    columns: resolved.columns.map((d) => d.key),
    measures: resolved.measures.map((m) => m.key),
    fields: reportColumns(resolved),
    cells,
    ...(resolved.dateRange ? { dateRange: resolved.dateRange.range } : {}),
  };
}

function isAdditive(agg: string): boolean {
  return agg === 'sum' || agg === 'count' || agg === 'count_distinct';
}

function toCell(g: GroupRow, r: number, n: number): PivotCell {
  const kept = (i: number) => (g.grouping & (1 << (n - 1 - i))) === 0;
  let rowLevel = 0;
  while (rowLevel < r && kept(rowLevel)) rowLevel++;
  let columnLevel = 0;
  while (r + columnLevel < n && kept(r + columnLevel)) columnLevel++;
  return { row: g.keys.slice(0, r), column: g.keys.slice(r), rowLevel, columnLevel, values: g.values };
}

/** Detail before subtotals before totals within each parent; values by code point, nulls last. */
function compareCells(a: PivotCell, b: PivotCell): number {
  const byKeys = (x: CellValue[], y: CellValue[]) => {
    for (let i = 0; i < x.length; i++) {
      const c = compareValues(x[i] ?? null, y[i] ?? null);
      if (c !== 0) return c;
    }
    return 0;
  };
  return byKeys(a.row, b.row) || byKeys(a.column, b.column);
}

function addPercentages(cells: PivotCell[], measures: string[], kinds: ('row' | 'column' | 'grand')[], r: number, c: number): void {
  const index = new Map<string, PivotCell>();
  const key = (row: CellValue[], column: CellValue[], rl: number, cl: number) => JSON.stringify([row, column, rl, cl]);
  for (const cell of cells) index.set(key(cell.row, cell.column, cell.rowLevel, cell.columnLevel), cell);
  const none = (k: number) => Array.from({ length: k }, () => null);
  for (const cell of cells) {
    const rowTotal = index.get(key(cell.row, none(c), cell.rowLevel, 0));
    const columnTotal = index.get(key(none(r), cell.column, 0, cell.columnLevel));
    const grand = index.get(key(none(r), none(c), 0, 0));
    const share = (total: PivotCell | undefined, m: string) => {
      const v = cell.values[m] ?? null;
      const t = total?.values[m] ?? null;
      return v === null || t === null || t === 0 ? null : (v / t) * 100;
    };
    cell.percent = {};
    for (const m of measures) {
      const entry: { row?: number | null; column?: number | null; grand?: number | null } = {};
      if (kinds.includes('row')) entry.row = share(rowTotal, m);
      if (kinds.includes('column')) entry.column = share(columnTotal, m);
      if (kinds.includes('grand')) entry.grand = share(grand, m);
      cell.percent[m] = entry;
    }
  }
}
