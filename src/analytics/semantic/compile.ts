import { sql, type RawBuilder } from 'kysely';
import { dayNumber, isoOfDay } from './dates.ts';
import { REPORT_LIMITS } from './definition.ts';
import type { ResolvedDimension, ResolvedFilter, ResolvedReport } from './resolve.ts';
import { sqlDialect, startOfDayUtc, type SqlDialect } from './sql-dialect.ts';
import { compileRollup } from './rollup.ts';
import type { BaseMeasure, Cube, Dimension, SqlFragment } from './types.ts';

/** Aggregates the database returns for one base measure; measure values are computed from these in JS. */
export interface MeasureColumns {
  /** count, count_distinct, sum, min, max: one column; avg: sum and count. */
  value: string;
  count?: string;
}

export interface CompiledReport {
  query: RawBuilder<Record<string, unknown>>;
  /** rows ++ columns, aliased d0…dN in the result. */
  dimensions: ResolvedDimension[];
  measureColumns: Map<string, MeasureColumns>;
  /** Each grouping set as the indexes of the dimensions it keeps. */
  groupingSets: number[][];
  /** Result column `g`: bit (N−1−i) set when dimension i is rolled up (PostgreSQL's GROUPING()). */
  hasPeriod: boolean;
  /** Fetch one row more than this to detect an oversized result. */
  maxRows: number;
  /** False when rows come unsorted and uncut (totals, comparisons): the caller sorts and applies the limit. */
  sortedInSql: boolean;
}

const join = (parts: SqlFragment[], separator = sql`, `) => sql.join(parts, separator);

/**
 * Compiles a resolved report into one parameterised query. Every identifier comes from the model; every value
 * from the definition is a bound parameter. Totals and subtotals scan the rows once, aggregate them at the finest
 * grain and roll every level up from there on SQLite (rollup.ts), one GROUPING SETS pass on PostgreSQL; ratios and
 * averages are re-evaluated from their summed parts at every level, never summed.
 */
export function compileReport(report: ResolvedReport, dialectName: 'sqlite' | 'postgres'): CompiledReport {
  const d = sqlDialect(dialectName);
  const dims = [...report.rows, ...report.columns];
  const joins = requiredJoins(report, d);
  const dimensionSql = dims.map((dim) => dimensionExpression(dim, d, report.timezone));

  const inputs: SqlFragment[] = [];
  const measureColumns = new Map<string, MeasureColumns>();
  const aggregates: SqlFragment[] = [];
  const aggregateOf = new Map<string, SqlFragment>();
  for (const [name, m] of report.baseMeasures) {
    const input = `i${inputs.length}`;
    inputs.push(sql`${measureInput(m)} as ${sql.id(input)}`);
    const ref = sql.ref(`t.${input}`);
    const value = `m${measureColumns.size}`;
    let agg: SqlFragment;
    if (m.agg === 'count') agg = sql`count(${ref})`;
    else if (m.agg === 'count_distinct') agg = sql`count(distinct ${ref})`;
    else if (m.agg === 'avg') agg = sql`sum(${ref})`;
    else agg = sql`${sql.raw(m.agg)}(${ref})`;
    aggregates.push(sql`${agg} as ${sql.id(value)}`);
    if (m.agg === 'avg') {
      aggregates.push(sql`count(${ref}) as ${sql.id(`${value}n`)}`);
      measureColumns.set(name, { value, count: `${value}n` });
      aggregateOf.set(name, sql`cast(sum(${ref}) as double precision) / nullif(count(${ref}), 0)`);
    } else {
      measureColumns.set(name, { value });
      aggregateOf.set(name, agg);
    }
  }

  const conditions: SqlFragment[] = report.segments.map((s) => sql`(${report.cube.segments[s]!.sql})`);
  for (const f of report.where) conditions.push(filterSql(f, (field) => dimensionFilterTarget(report.cube.dimensions[field]!), d));
  if (report.dateRange) conditions.push(dateRangeSql(report));
  const period =
    report.compare && report.dateRange ? sql`case when ${dateColumn(report)} >= ${bound(report, report.dateRange.range.from)} then 0 else 1 end` : undefined;

  const selectInner = [...dimensionSql.map((e, i) => sql`${e} as ${sql.id(`d${i}`)}`), ...inputs, ...(period ? [sql`${period} as p`] : [])];
  const inner = sql`select ${selectInner.length > 0 ? join(selectInner) : sql`1 as one`} from ${report.cube.from}${joins.length > 0 ? sql` ${join(joins, sql` `)}` : sql``}${conditions.length > 0 ? sql` where ${join(conditions, sql` and `)}` : sql``}`;

  const having = report.having.map((f) => filterSql(f, (field) => measureHaving(report, field, aggregateOf), d));
  const havingSql = having.length > 0 ? sql` having ${join(having, sql` and `)}` : sql``;
  const sets = groupingSets(report);
  // Totals and comparisons are sorted and cut in JS (a LIMIT would cut across levels and periods).
  const sortedInSql = !report.pivot && !report.totals && !report.compare;
  const maxRows = sortedInSql ? report.limit : REPORT_LIMITS.maxRows;
  const dimRef = (i: number) => sql.ref(`t.d${i}`);
  const periodRef = period ? [sql.ref('t.p')] : [];

  let query: SqlFragment;
  if (sets.length > 1 && d.name === 'sqlite') {
    // SQLite: one scan aggregated at the finest grain, every level rolled up from that (rollup.ts). PostgreSQL keeps
    // one GROUPING SETS pass over the rows: the rollup plan measured twice as slow there (200k orders, shared machine).
    const measures = [...report.baseMeasures].map(([name, def], k) => ({ name, def, input: `i${k}`, value: measureColumns.get(name)!.value }));
    const levelHaving = (levelAggregates: Map<string, SqlFragment>) => {
      const parts = report.having.map((f) => filterSql(f, (field) => measureHaving(report, field, levelAggregates), d));
      return parts.length > 0 ? join(parts, sql` and `) : undefined;
    };
    query = compileRollup({ d, dims, scan: inner, measures, sets, period: period !== undefined, having: levelHaving, limit: maxRows });
  } else {
    const groupBy = groupByClause(
      sets,
      dims.map((_, i) => dimRef(i)),
      periodRef,
    );
    const groupingId = dims.length > 0 && sets.length > 1 ? sql`grouping(${join(dims.map((_, i) => dimRef(i)))})` : sql`0`;
    const select = [...dims.map((_, i) => sql`${dimRef(i)} as ${sql.id(`d${i}`)}`), sql`${groupingId} as g`, ...(period ? [sql`t.p as p`] : []), ...aggregates];
    const order = sortedInSql ? orderBy(report, d, aggregateOf, period !== undefined) : sql``;
    query = sql`select ${join(select)} from (${inner}) as t${groupBy}${havingSql}${order} limit ${sql.lit(maxRows + 1)}`;
  }
  return {
    query: query as RawBuilder<Record<string, unknown>>,
    dimensions: dims,
    measureColumns,
    groupingSets: sets,
    hasPeriod: period !== undefined,
    maxRows,
    sortedInSql,
  };
}

/** One level: a plain GROUP BY; several (PostgreSQL only): GROUPING SETS. */
function groupByClause(sets: number[][], dimRefs: SqlFragment[], periodRef: SqlFragment[]): SqlFragment {
  if (sets.length === 1) {
    const keys = [...dimRefs, ...periodRef];
    return keys.length > 0 ? sql` group by ${join(keys)}` : sql``;
  }
  const tuples = sets.map((set) => {
    const keys = [...set.map((i) => dimRefs[i]!), ...periodRef];
    return keys.length > 0 ? sql`(${join(keys)})` : sql`()`;
  });
  return sql` group by grouping sets (${join(tuples)})`;
}

/**
 * Row levels × column levels: with subtotals every prefix of the row and column dimensions, with totals the full
 * level and the grand total; percentages need the totals they divide by.
 */
export function groupingSets(report: ResolvedReport): number[][] {
  const r = report.rows.length;
  const c = report.columns.length;
  const levels = (n: number, wantTotal: boolean) => {
    if (report.subtotals) return Array.from({ length: n + 1 }, (_, i) => n - i);
    return wantTotal && n > 0 ? [n, 0] : [n];
  };
  const wantTotals = report.totals || report.percent.length > 0;
  const rowLevels = levels(r, wantTotals);
  const colLevels = levels(c, wantTotals);
  const sets: number[][] = [];
  for (const rl of rowLevels) {
    for (const cl of colLevels) {
      sets.push([...Array.from({ length: rl }, (_, i) => i), ...Array.from({ length: cl }, (_, i) => r + i)]);
    }
  }
  return sets;
}

function requiredJoins(report: ResolvedReport, d: SqlDialect): SqlFragment[] {
  const names = new Set<string>();
  const need = (list: readonly string[] | undefined) => list?.forEach((n) => names.add(n));
  for (const dim of [...report.rows, ...report.columns]) need(dim.def.joins);
  for (const m of report.baseMeasures.values()) need(m.joins);
  for (const s of report.segments) need(report.cube.segments[s]!.joins);
  const visit = (f: ResolvedFilter): void => {
    if (f.kind === 'group') f.children.forEach(visit);
    else if (f.target === 'dimension') need(f.def.joins);
  };
  report.where.forEach(visit);
  if (report.dateRange) need(report.dateRange.def.joins);
  const ordered: string[] = [];
  const add = (name: string) => {
    if (ordered.includes(name)) return;
    report.cube.joins[name]!.dependsOn?.forEach(add);
    ordered.push(name);
  };
  report.cube.baseJoins?.forEach(add);
  [...names].forEach(add);
  return ordered.map((n) => sql`${d.innerJoin} ${report.cube.joins[n]!.table} on ${report.cube.joins[n]!.on}`);
}

function dimensionExpression(dim: ResolvedDimension, d: SqlDialect, timezone: string): SqlFragment {
  const { def, grain } = dim;
  if (def.type === 'timestamp') {
    if (!grain) return def.sql;
    const local = d.localDate(def.sql, timezone);
    return d.dateBucket(local, grain);
  }
  if (def.type === 'date') return grain ? d.dateBucket(def.sql, grain) : d.dateText(def.sql);
  return def.sql;
}

function measureInput(m: BaseMeasure): SqlFragment {
  const value = m.agg === 'count' ? sql`1` : (m.sql ?? sql`1`);
  return m.filter ? sql`case when ${m.filter} then ${value} end` : value;
}

function dimensionFilterTarget(def: Dimension): { expression: SqlFragment; scale: number } {
  return { expression: def.sql, scale: 1 };
}

function measureHaving(report: ResolvedReport, field: string, aggregateOf: Map<string, SqlFragment>): { expression: SqlFragment; scale: number } {
  const m = report.cube.measures[field]!;
  if (m.agg !== 'ratio') return { expression: aggregateOf.get(field)!, scale: m.divisor ?? 1 };
  const units = (name: string) => {
    const base = report.cube.measures[name] as BaseMeasure;
    return sql`(cast(${aggregateOf.get(name)!} as double precision) / ${sql.lit(base.divisor ?? 1)})`;
  };
  return { expression: sql`(${units(m.numerator)} / nullif(${units(m.denominator)}, 0) * ${sql.lit(m.multiplier ?? 1)})`, scale: 1 };
}

function filterSql(filter: ResolvedFilter, target: (field: string) => { expression: SqlFragment; scale: number }, d: SqlDialect): SqlFragment {
  if (filter.kind === 'group')
    return sql`(${join(
      filter.children.map((c) => filterSql(c, target, d)),
      filter.op === 'and' ? sql` and ` : sql` or `,
    )})`;
  const { expression, scale } = target(filter.field);
  const { op, value, values } = filter.condition;
  const v = (x: unknown) => (typeof x === 'number' ? x * scale : x);
  switch (op) {
    case 'eq':
      return value === null ? sql`${expression} is null` : sql`${expression} = ${v(value)}`;
    case 'neq':
      return value === null ? sql`${expression} is not null` : sql`(${expression} <> ${v(value)} or ${expression} is null)`;
    case 'gt':
      return sql`${expression} > ${v(value)}`;
    case 'gte':
      return sql`${expression} >= ${v(value)}`;
    case 'lt':
      return sql`${expression} < ${v(value)}`;
    case 'lte':
      return sql`${expression} <= ${v(value)}`;
    case 'between':
      return sql`${expression} between ${v(values![0])} and ${v(values![1])}`;
    case 'in':
      return values!.length === 0 ? sql`1 = 0` : sql`${expression} in (${join(values!.map((x) => sql`${v(x)}`))})`;
    case 'not_in':
      return values!.length === 0 ? sql`1 = 1` : sql`(${expression} not in (${join(values!.map((x) => sql`${v(x)}`))}) or ${expression} is null)`;
    case 'contains':
      return sql`lower(${expression}) like lower(${`%${escapeLike(String(value))}%`}) escape '\\'`;
    case 'starts_with':
      return sql`lower(${expression}) like lower(${`${escapeLike(String(value))}%`}) escape '\\'`;
    case 'is_null':
      return sql`${expression} is null`;
    case 'not_null':
      return sql`${expression} is not null`;
    default:
      throw new Error(`unhandled filter operator ${String(op)}`);
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function dateColumn(report: ResolvedReport): SqlFragment {
  return report.dateRange!.def.sql;
}

/** A day boundary as the column compares it: the day itself for dates, the zone's midnight (UTC ISO) for timestamps. */
function bound(report: ResolvedReport, day: string): string {
  return report.dateRange!.def.type === 'timestamp' ? startOfDayUtc(day, report.timezone) : day;
}

function dateRangeSql(report: ResolvedReport): SqlFragment {
  const { range } = report.dateRange!;
  const from = report.compare ? report.compare.range.from : range.from;
  const afterTo = isoOfDay(dayNumber(range.to, 'dateRange/to') + 1);
  const column = dateColumn(report);
  // Half-open [from, to + 1 day): right for dates and timestamps alike.
  return sql`${column} >= ${bound(report, from)} and ${column} < ${bound(report, afterTo)}`;
}

function orderBy(report: ResolvedReport, d: SqlDialect, aggregateOf: Map<string, SqlFragment>, period: boolean): SqlFragment {
  const dims = [...report.rows, ...report.columns];
  const keys: SqlFragment[] = [];
  const used = new Set<string>();
  for (const s of report.sort) {
    used.add(s.key);
    const expression =
      s.target === 'dimension' ? d.sortable(sql.ref(`t.d${dims.findIndex((x) => x.key === s.key)}`)) : measureHaving(report, s.key, aggregateOf).expression;
    keys.push(sql`(${expression}) is null`, sql`${expression} ${sql.raw(s.direction)}`);
  }
  dims.forEach((dim, i) => {
    if (!used.has(dim.key)) keys.push(sql`${sql.ref(`t.d${i}`)} is null`, d.sortable(sql.ref(`t.d${i}`)));
  });
  if (period) keys.push(sql`t.p`);
  return keys.length > 0 ? sql` order by ${join(keys)}` : sql``;
}

export type { Cube };
