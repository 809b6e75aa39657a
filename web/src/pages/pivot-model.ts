/** The pivot builder's state and how it maps to and from a report definition and a server pivot result. */

export const GRAINS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type Grain = (typeof GRAINS)[number];
export type Axis = 'rows' | 'columns';
export type CellValue = string | number | null;

/** One cube of the semantic model, as GET /api/v1/analytics/cubes describes it. */
export interface CubeInfo {
  name: string;
  title: string;
  defaultTime: string;
  dimensions: { name: string; title: string; type: 'string' | 'number' | 'date' | 'timestamp' }[];
  measures: { name: string; title: string; agg: string; format: 'integer' | 'number' | 'currency' | 'percent' }[];
}

type DimensionRef = string | { field: string; grain?: Grain };

/** The part of a report definition the builder edits; other fields of a loaded definition ride along unchanged. */
export interface Definition {
  cube: string;
  title?: string;
  dimensions?: DimensionRef[];
  rows?: DimensionRef[];
  columns?: DimensionRef[];
  measures: string[];
  dateRange?: { field?: string; relative?: string; from?: string; to?: string };
  totals?: boolean;
  subtotals?: boolean;
  [other: string]: unknown;
}

export interface Placed {
  field: string;
  grain?: Grain | undefined;
}

export interface PivotState {
  cube: string;
  rows: Placed[];
  columns: Placed[];
  measures: string[];
  totals: boolean;
  subtotals: boolean;
}

export const emptyState = (cube: string): PivotState => ({ cube, rows: [], columns: [], measures: [], totals: true, subtotals: false });

const isTime = (cube: CubeInfo | undefined, field: string) => {
  const type = cube?.dimensions.find((d) => d.name === field)?.type;
  return type === 'date' || type === 'timestamp';
};

/** Puts a dimension on an axis (at `index`, default the end) or, with `to` null, back among the unused ones. */
export function place(state: PivotState, cube: CubeInfo | undefined, field: string, to: Axis | null, index?: number): PivotState {
  const existing = [...state.rows, ...state.columns].find((p) => p.field === field);
  const placed: Placed = existing ?? { field, grain: isTime(cube, field) ? 'month' : undefined };
  const rows = state.rows.filter((p) => p.field !== field);
  const columns = state.columns.filter((p) => p.field !== field);
  const next = { ...state, rows, columns };
  if (to === null) return next;
  const list = next[to];
  const at = index === undefined ? list.length : Math.max(0, Math.min(index, list.length));
  return { ...next, [to]: [...list.slice(0, at), placed, ...list.slice(at)] };
}

/** Moves the dimension at `index` of an axis one place earlier (-1) or later (+1). */
export function shift(state: PivotState, axis: Axis, index: number, delta: -1 | 1): PivotState {
  const list = [...state[axis]];
  const other = index + delta;
  if (other < 0 || other >= list.length) return state;
  [list[index], list[other]] = [list[other]!, list[index]!];
  return { ...state, [axis]: list };
}

export function setGrain(state: PivotState, field: string, grain: Grain): PivotState {
  const update = (list: Placed[]) => list.map((p) => (p.field === field ? { ...p, grain } : p));
  return { ...state, rows: update(state.rows), columns: update(state.columns) };
}

const toRef = (p: Placed): DimensionRef => (p.grain ? { field: p.field, grain: p.grain } : p.field);
const fromRef = (ref: DimensionRef): Placed => (typeof ref === 'string' ? { field: ref } : { field: ref.field, grain: ref.grain });

/** The definition POST /reports/run and the saved definitions take: `base` keeps what the builder does not edit. */
export function toDefinition(state: PivotState, range: { from: string; to: string }, base: Definition | null, title?: string): Definition {
  // A flat report's `dimensions` became rows when it was loaded; a pivot cannot carry both.
  const { dimensions: _flat, ...kept }: Partial<Definition> = base && base.cube === state.cube ? base : {};
  return {
    ...kept,
    cube: state.cube,
    ...(title ? { title } : {}),
    rows: state.rows.map(toRef),
    columns: state.columns.map(toRef),
    measures: state.measures,
    dateRange: { ...(kept.dateRange?.field ? { field: kept.dateRange.field } : {}), from: range.from, to: range.to },
    totals: state.totals,
    subtotals: state.subtotals,
  };
}

/** A saved definition back into builder state; a flat report's dimensions become rows. */
export function fromDefinition(definition: Definition): { state: PivotState; range?: { from: string; to: string } } {
  const { from, to } = definition.dateRange ?? {};
  return {
    state: {
      cube: definition.cube,
      rows: (definition.rows ?? definition.dimensions ?? []).map(fromRef),
      columns: (definition.columns ?? []).map(fromRef),
      measures: [...definition.measures],
      totals: definition.totals ?? true,
      subtotals: definition.subtotals ?? false,
    },
    ...(from && to ? { range: { from, to } } : {}),
  };
}

/** What POST /reports/run answers for a pivot: every cell, subtotal and total computed by the database. */
export interface PivotResult {
  title?: string;
  cube: string;
  rows: string[];
  columns: string[];
  measures: string[];
  fields: { key: string; title: string; kind: 'dimension' | 'measure'; type: string; format?: CubeInfo['measures'][number]['format'] }[];
  cells: { row: CellValue[]; column: CellValue[]; rowLevel: number; columnLevel: number; values: Record<string, number | null> }[];
}

/** One row or column of the rendered table: its dimension values and how many of them it keeps (fewer: a subtotal). */
export interface Header {
  id: string;
  keys: CellValue[];
  level: number;
}

export interface PivotLayout {
  rowHeaders: Header[];
  columnHeaders: Header[];
  /** The server's value for a row × column × measure; undefined where the server sent no cell. */
  value: (row: Header, column: Header, measure: string) => number | null | undefined;
}

const headerId = (keys: CellValue[], level: number) => JSON.stringify([keys, level]);

/** Same order as the server: by value (numbers by size, text by code point), nulls last, detail before its subtotal. */
function compareHeaders(a: Header, b: Header): number {
  for (let i = 0; i < Math.max(a.keys.length, b.keys.length); i++) {
    const x = a.keys[i] ?? null;
    const y = b.keys[i] ?? null;
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return b.level - a.level;
}

/**
 * Lays the server's cells out as a grid. Nothing is added up here: totals and subtotals are cells the server
 * computed at their own grouping level (a margin % total is re-evaluated, not summed).
 */
export function layout(result: PivotResult): PivotLayout {
  const rows = new Map<string, Header>();
  const columns = new Map<string, Header>();
  const values = new Map<string, Record<string, number | null>>();
  for (const cell of result.cells) {
    const r = headerId(cell.row, cell.rowLevel);
    const c = headerId(cell.column, cell.columnLevel);
    if (!rows.has(r)) rows.set(r, { id: r, keys: cell.row, level: cell.rowLevel });
    if (!columns.has(c)) columns.set(c, { id: c, keys: cell.column, level: cell.columnLevel });
    values.set(`${r}|${c}`, cell.values);
  }
  return {
    rowHeaders: [...rows.values()].sort(compareHeaders),
    columnHeaders: [...columns.values()].sort(compareHeaders),
    value: (row, column, measure) => {
      const cell = values.get(`${row.id}|${column.id}`);
      return cell === undefined ? undefined : (cell[measure] ?? null);
    },
  };
}

/** A measure value as its format says: money with two decimals, percentages (already ×100) with one. */
export function formatMeasure(locale: string, value: number | null | undefined, format: string | undefined): string {
  if (value === null || value === undefined) return '–';
  if (format === 'percent') return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(value / 100);
  if (format === 'currency') return new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
  if (format === 'integer') return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value);
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value);
}

/** A dimension value as a person reads it: a month bucket `2025-03`, a quarter `2025 Q1`, a year `2025`. */
export function formatKey(dimension: string, value: CellValue): CellValue {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const grain = dimension.slice(dimension.lastIndexOf('.') + 1);
  if (grain === 'month') return value.slice(0, 7);
  if (grain === 'quarter') return `${value.slice(0, 4)} Q${Math.floor((Number(value.slice(5, 7)) - 1) / 3) + 1}`;
  if (grain === 'year') return value.slice(0, 4);
  return value;
}
