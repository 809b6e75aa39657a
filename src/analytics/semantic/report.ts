import type { Db, QueryCache } from '../../db/index.ts';
import type { DayRange } from './dates.ts';
import type { ReportDefinition } from './definition.ts';
import { reportColumns, runReportQuery, shiftKey, type ReportColumn, type ReportRow } from './execute.ts';
import { resolveReport } from './resolve.ts';
import type { Cube } from './types.ts';

export interface ReportResult {
  title: string | undefined;
  cube: string;
  columns: ReportColumn[];
  rows: ReportRow[];
  /** Present when totals were asked for: the grand total row (measures re-evaluated over all rows). */
  total?: ReportRow;
  dateRange?: DayRange;
  compareRange?: DayRange;
  /** True when `limit` cut the result. */
  truncated: boolean;
}

export interface RunOptions {
  cubes: Readonly<Record<string, Cube>>;
  queryCache?: QueryCache | undefined;
  now?: Date;
}

/** Runs a flat report: one row per dimension combination; with `compare`, each measure gets `.previous` and `.change_pct`. */
export async function runReport(db: Db, definition: ReportDefinition, options: RunOptions): Promise<ReportResult> {
  const report = resolveReport(definition, options.cubes, options.now);
  const { rows, compiled } = await runReportQuery(db, report, options.queryCache);
  const dims = compiled.dimensions;
  const toRow = (keys: (string | number | null)[], values: Record<string, number | null>): ReportRow => {
    const row: ReportRow = {};
    dims.forEach((d, i) => (row[d.key] = keys[i] ?? null));
    for (const m of report.measures) row[m.key] = values[m.key] ?? null;
    return row;
  };
  const detail = rows.filter((r) => r.grouping === 0 && r.period === 0);
  const out = detail.map((r) => toRow(r.keys, r.values));
  const columns = reportColumns(report);

  if (report.compare) {
    const previous = new Map<string, Record<string, number | null>>();
    for (const r of rows.filter((x) => x.grouping === 0 && x.period === 1)) {
      const key = JSON.stringify(
        r.keys.map((k, i) => (dims[i]!.def.type === 'date' || dims[i]!.def.type === 'timestamp' ? shiftKey(k, dims[i]!.grain, report.compare!) : k)),
      );
      previous.set(key, r.values);
    }
    detail.forEach((r, i) => {
      const before = previous.get(JSON.stringify(r.keys)) ?? {};
      for (const m of report.measures) {
        const now = r.values[m.key] ?? null;
        const then = before[m.key] ?? null;
        out[i]![`${m.key}.previous`] = then;
        out[i]![`${m.key}.change_pct`] = now === null || then === null || then === 0 ? null : ((now - then) / Math.abs(then)) * 100;
      }
    });
    for (const m of report.measures) {
      columns.push({ key: `${m.key}.previous`, title: `${m.def.title} (previous)`, kind: 'measure', type: 'number', format: m.def.format });
      columns.push({ key: `${m.key}.change_pct`, title: `${m.def.title} change %`, kind: 'measure', type: 'number', format: 'percent' });
    }
  }
  if (!compiled.sortedInSql)
    sortRows(
      out,
      report.sort,
      dims.map((d) => d.key),
    );
  const totalRow = rows.find((r) => r.grouping !== 0 && r.keys.every((k) => k === null) && r.period === 0);
  const truncated = out.length >= report.limit && (compiled.sortedInSql || out.length > report.limit);
  if (out.length > report.limit) out.length = report.limit;
  return {
    title: definition.title,
    cube: report.cube.name,
    columns,
    rows: out,
    ...(totalRow ? { total: toRow(totalRow.keys, totalRow.values) } : {}),
    ...(report.dateRange ? { dateRange: report.dateRange.range } : {}),
    ...(report.compare ? { compareRange: report.compare.range } : {}),
    truncated,
  };
}

/** Sorting in JS (used when the rows came with totals): nulls last, text by code point like the SQL sort. */
export function sortRows(rows: ReportRow[], sort: { key: string; direction: 'asc' | 'desc' }[], keys: string[]): void {
  const order = [...sort, ...keys.filter((k) => !sort.some((s) => s.key === k)).map((key) => ({ key, direction: 'asc' as const }))];
  rows.sort((a, b) => {
    for (const { key, direction } of order) {
      const c = compareValues(a[key] ?? null, b[key] ?? null);
      if (c !== 0) return direction === 'asc' ? c : a[key] === null || b[key] === null ? c : -c;
    }
    return 0;
  });
}

export function compareValues(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}
