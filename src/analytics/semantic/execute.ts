import type { Db, QueryCache } from '../../db/index.ts';
import { AiStackError } from '../../shared/errors.ts';
import { addGrains, dayNumber, isoOfDay, type Grain } from './dates.ts';
import { compileReport, type CompiledReport } from './compile.ts';
import type { ResolvedReport } from './resolve.ts';
import { localDateOf, SQLITE_LOCAL_DATE_FUNCTION } from './sql-dialect.ts';
import type { BaseMeasure, MeasureFormat } from './types.ts';

export type CellValue = string | number | null;
export type ReportRow = Record<string, CellValue>;

export interface ReportColumn {
  key: string;
  title: string;
  kind: 'dimension' | 'measure';
  type: 'string' | 'number' | 'date' | 'timestamp';
  format?: MeasureFormat;
}

/** One aggregated row as the database returned it: dimension values, grouping mask, period, measure values. */
export interface GroupRow {
  keys: CellValue[];
  /** Bit (N−1−i) set when dimension i is rolled up. */
  grouping: number;
  period: number;
  values: Record<string, number | null>;
}

export class ReportTooLargeError extends AiStackError {
  constructor(limit: number) {
    super(`The report has more than ${limit} rows; add filters, a coarser time grain or fewer dimensions`, { code: 'report_too_large', status: 400 });
  }
}

const registered = new WeakSet<object>();

/**
 * Once per database: SQLite cannot convert time zones itself, so this registers the one function the compiler uses
 * for that. (Not `pragma mmap_size`: it saves ~10 % of a large pivot's CPU, but an I/O error on a mapped file is a
 * SIGBUS that kills the process, where an unmapped read returns an error.)
 */
export function prepareDatabase(db: Db): void {
  if (db.native.dialect !== 'sqlite' || registered.has(db.native.sqlite)) return;
  const handles = db.native.sqlite;
  for (const handle of [handles.writer, ...handles.readers]) {
    handle.db.function(SQLITE_LOCAL_DATE_FUNCTION, { deterministic: true }, (instant, zone) =>
      typeof instant === 'string' && typeof zone === 'string' ? localDateOf(instant, zone) : null,
    );
  }
  registered.add(handles);
}

/** Runs a compiled report, through the query cache when given (repeated runs are served from it until a write). */
export async function runCompiled(db: Db, compiled: CompiledReport, report: ResolvedReport, queryCache?: QueryCache): Promise<GroupRow[]> {
  prepareDatabase(db);
  const query = compiled.query;
  const runnable = {
    compile: () => query.compile(db.kysely),
    execute: async () => (await query.execute(db.kysely)).rows,
  };
  const raw = queryCache ? await queryCache.execute(runnable) : await runnable.execute();
  if (raw.length > compiled.maxRows) {
    if (!compiled.sortedInSql) throw new ReportTooLargeError(compiled.maxRows);
    raw.length = compiled.maxRows;
  }
  return raw.map((row) => toGroupRow(row, compiled, report));
}

export async function runReportQuery(db: Db, report: ResolvedReport, queryCache?: QueryCache): Promise<{ compiled: CompiledReport; rows: GroupRow[] }> {
  const compiled = compileReport(report, db.dialect);
  return { compiled, rows: await runCompiled(db, compiled, report, queryCache) };
}

function num(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

function toGroupRow(row: Record<string, unknown>, compiled: CompiledReport, report: ResolvedReport): GroupRow {
  const keys = compiled.dimensions.map((dim, i) => {
    const v = row[`d${i}`];
    if (v === null || v === undefined) return null;
    if (dim.def.type === 'number') return num(v);
    return typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : JSON.stringify(v);
  });
  const base: Record<string, number | null> = {};
  for (const [name, columns] of compiled.measureColumns) {
    const m = report.baseMeasures.get(name)!;
    base[name] = baseValue(m, num(row[columns.value]), columns.count ? num(row[columns.count]) : null);
  }
  const values: Record<string, number | null> = {};
  for (const { key, def } of report.measures) {
    if (def.agg !== 'ratio') values[key] = base[key] ?? null;
    else {
      const n = base[def.numerator] ?? null;
      const d = base[def.denominator] ?? null;
      // Division by zero (or an empty group) is a defined result: null, shown as an empty cell.
      values[key] = n === null || d === null || d === 0 ? null : (n / d) * (def.multiplier ?? 1);
    }
  }
  return { keys, grouping: num(row.g) ?? 0, period: num(row.p) ?? 0, values };
}

function baseValue(m: BaseMeasure, value: number | null, count: number | null): number | null {
  const divisor = m.divisor ?? 1;
  if (m.agg === 'count' || m.agg === 'count_distinct') return value ?? 0;
  if (m.agg === 'avg') return value === null || !count ? null : value / count / divisor;
  if (value === null) return m.agg === 'sum' ? 0 : null;
  return value / divisor;
}

export function reportColumns(report: ResolvedReport): ReportColumn[] {
  return [
    ...[...report.rows, ...report.columns].map((d): ReportColumn => ({
      key: d.key,
      title: d.grain ? `${d.def.title} (${d.grain})` : d.def.title,
      kind: 'dimension',
      type: d.grain ? 'date' : d.def.type,
    })),
    ...report.measures.map((m): ReportColumn => ({ key: m.key, title: m.def.title, kind: 'measure', type: 'number', format: m.def.format })),
  ];
}

/** Moves a previous-period time key forward onto the current period, so rows of both periods line up. */
export function shiftKey(value: CellValue, grain: Grain | undefined, shift: NonNullable<ResolvedReport['compare']>): CellValue {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const day = dayNumber(value, 'compare');
  if (shift.shiftGrains) return isoOfDay(addGrains(day, shift.shiftGrains.grain, shift.shiftGrains.count));
  return isoOfDay(grain && grain !== 'day' ? day : day + shift.shiftDays);
}
