import { ValidationError } from '../../shared/errors.ts';
import { dayNumber, isTimeZone, previousRange, resolveRelative, todayIn, type DayRange, type Grain } from './dates.ts';
import { REPORT_LIMITS, type ConditionNode, type DimensionRefInput, type FilterNode, type ReportDefinition } from './definition.ts';
import type { BaseMeasure, Cube, Dimension, Measure } from './types.ts';

export interface ResolvedDimension {
  /** Output column name: `country`, `order_date.month`. */
  key: string;
  field: string;
  grain: Grain | undefined;
  def: Dimension;
}

export interface ResolvedMeasure {
  key: string;
  def: Measure;
}

export type ResolvedFilter =
  | { kind: 'condition'; target: 'dimension'; field: string; def: Dimension; condition: ConditionNode }
  | { kind: 'condition'; target: 'measure'; field: string; def: Measure; condition: ConditionNode }
  | { kind: 'group'; op: 'and' | 'or'; target: 'dimension' | 'measure'; children: ResolvedFilter[] };

export interface ResolvedReport {
  cube: Cube;
  rows: ResolvedDimension[];
  columns: ResolvedDimension[];
  measures: ResolvedMeasure[];
  /** Base measures the requested ones need (ratios pull in their parts). */
  baseMeasures: Map<string, BaseMeasure>;
  where: ResolvedFilter[];
  having: ResolvedFilter[];
  segments: string[];
  dateRange: { field: string; def: Dimension; range: DayRange } | undefined;
  compare: { range: DayRange; shiftDays: number; shiftGrains?: { grain: Grain; count: number } } | undefined;
  timezone: string;
  sort: { key: string; direction: 'asc' | 'desc'; target: 'dimension' | 'measure' }[];
  limit: number;
  pivot: boolean;
  totals: boolean;
  subtotals: boolean;
  percent: ('row' | 'column' | 'grand')[];
}

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

function fail(field: string, message: string): never {
  throw new ValidationError(`${field}: ${message}`, [{ field, message }]);
}

function known<T>(record: Readonly<Record<string, T>>, name: string, field: string, what: string): T {
  if (!NAME.test(name) || !Object.hasOwn(record, name)) {
    const choices = Object.keys(record).slice(0, 30).join(', ');
    fail(field, `unknown ${what} ${JSON.stringify(name.slice(0, 80))}${choices ? ` (known: ${choices})` : ''}`);
  }
  return record[name]!;
}

/**
 * Checks a definition against the cube and resolves every name to its model entry. Every failure is a 400
 * that names the offending field (`measures/2`, `filters/0/field`), so a client can fix it.
 */
export function resolveReport(definition: ReportDefinition, cubes: Readonly<Record<string, Cube>>, now = new Date()): ResolvedReport {
  const cube = known(cubes, definition.cube, 'cube', 'cube');
  const pivot = definition.rows !== undefined || definition.columns !== undefined;
  if (pivot && definition.dimensions !== undefined) fail('dimensions', 'a pivot uses rows and columns; a flat report uses dimensions, not both');
  const dims = (list: DimensionRefInput[] | undefined, path: string) => (list ?? []).map((ref, i) => resolveDimension(cube, ref, `${path}/${i}`));
  const rows = pivot ? dims(definition.rows, 'rows') : dims(definition.dimensions, 'dimensions');
  const columns = pivot ? dims(definition.columns, 'columns') : [];
  if (rows.length + columns.length > REPORT_LIMITS.maxDimensions)
    fail(pivot ? 'rows' : 'dimensions', `at most ${REPORT_LIMITS.maxDimensions} dimensions in one report, got ${rows.length + columns.length}`);
  const seen = new Set<string>();
  for (const d of [...rows, ...columns]) {
    if (seen.has(d.key)) fail(pivot ? 'rows' : 'dimensions', `dimension ${d.key} appears twice`);
    seen.add(d.key);
  }

  if (definition.measures.length > REPORT_LIMITS.maxMeasures)
    fail('measures', `at most ${REPORT_LIMITS.maxMeasures} measures, got ${definition.measures.length}`);
  const measures = definition.measures.map((name, i) => ({ key: name, def: known(cube.measures, name, `measures/${i}`, 'measure') }));
  const baseMeasures = new Map<string, BaseMeasure>();
  const addBase = (name: string, field: string) => {
    const m = known(cube.measures, name, field, 'measure');
    if (m.agg === 'ratio') {
      addBase(m.numerator, field);
      addBase(m.denominator, field);
    } else baseMeasures.set(name, m);
  };
  measures.forEach((m, i) => addBase(m.key, `measures/${i}`));

  const timezone = definition.timezone ?? 'UTC';
  if (!isTimeZone(timezone)) fail('timezone', `unknown time zone ${JSON.stringify(timezone.slice(0, 64))}`);

  const where: ResolvedFilter[] = [];
  const having: ResolvedFilter[] = [];
  let count = 0;
  (definition.filters ?? []).forEach((node, i) => {
    const resolved = resolveFilter(cube, node, `filters/${i}`, 1, () => ++count);
    (resolved.target === 'measure' ? having : where).push(resolved);
    for (const m of measuresIn(resolved)) addBase(m, `filters/${i}`);
  });

  const segments = (definition.segments ?? []).map((name, i) => {
    known(cube.segments, name, `segments/${i}`, 'segment');
    return name;
  });

  let dateRange: ResolvedReport['dateRange'];
  if (definition.dateRange) {
    const field = definition.dateRange.field ?? cube.defaultTime;
    const def = known(cube.dimensions, field, 'dateRange/field', 'dimension');
    if (def.type !== 'date' && def.type !== 'timestamp') fail('dateRange/field', `${field} is not a date or time dimension`);
    const { relative, from, to } = definition.dateRange;
    let range: DayRange;
    if (relative) {
      if (from !== undefined || to !== undefined) fail('dateRange', 'give either relative or from/to, not both');
      const today = definition.asOf ?? todayIn(timezone, now);
      dayNumber(today, 'asOf');
      range = resolveRelative(relative, today);
    } else {
      if (from === undefined || to === undefined) fail('dateRange', 'needs relative, or both from and to');
      if (dayNumber(from, 'dateRange/from') > dayNumber(to, 'dateRange/to')) fail('dateRange', `from ${from} is after to ${to}`);
      range = { from, to };
    }
    dateRange = { field, def, range };
  } else if (definition.asOf !== undefined) dayNumber(definition.asOf, 'asOf');

  let compare: ResolvedReport['compare'];
  if (definition.compare) {
    if (!dateRange) fail('compare', 'comparing with a previous period needs a dateRange');
    if (pivot) fail('compare', 'comparison is available for flat reports, not pivots');
    compare = previousRange(dateRange.range, definition.compare);
    dayNumber(compare.range.from, 'compare');
  }

  const outputKeys = new Map<string, 'dimension' | 'measure'>([...rows, ...columns].map((d) => [d.key, 'dimension']));
  for (const m of measures) outputKeys.set(m.key, 'measure');
  const sort = (definition.sort ?? []).map((s, i) => {
    const target = outputKeys.get(s.field);
    if (!target) fail(`sort/${i}/field`, `${JSON.stringify(s.field.slice(0, 80))} is not one of the report's dimensions or measures`);
    return { key: s.field, direction: s.direction ?? 'asc', target };
  });

  return {
    cube,
    rows,
    columns,
    measures,
    baseMeasures,
    where,
    having,
    segments,
    dateRange,
    compare,
    timezone,
    sort,
    limit: definition.limit ?? REPORT_LIMITS.defaultRows,
    pivot,
    totals: definition.totals ?? pivot,
    subtotals: definition.subtotals ?? false,
    percent: definition.percent ?? [],
  };
}

function resolveDimension(cube: Cube, ref: DimensionRefInput, path: string): ResolvedDimension {
  const field = typeof ref === 'string' ? ref : ref.field;
  const grain = typeof ref === 'string' ? undefined : ref.grain;
  const def = known(cube.dimensions, field, typeof ref === 'string' ? path : `${path}/field`, 'dimension');
  if (grain && def.type !== 'date' && def.type !== 'timestamp') fail(`${path}/grain`, `${field} is not a date or time dimension`);
  return { key: grain ? `${field}.${grain}` : field, field, grain, def };
}

function resolveFilter(cube: Cube, node: FilterNode, path: string, depth: number, counter: () => number): ResolvedFilter {
  if (counter() > REPORT_LIMITS.maxFilters) fail(path, `at most ${REPORT_LIMITS.maxFilters} filter conditions`);
  if ('field' in node) return resolveCondition(cube, node, path);
  const group = node as { and?: FilterNode[]; or?: FilterNode[] };
  if ((group.and === undefined) === (group.or === undefined)) fail(path, 'a filter group has exactly one of "and" or "or"');
  if (depth >= REPORT_LIMITS.maxFilterDepth) fail(path, `filters nest at most ${REPORT_LIMITS.maxFilterDepth} levels`);
  const op = group.and ? 'and' : 'or';
  const children = (group.and ?? group.or ?? []).map((child, i) => resolveFilter(cube, child, `${path}/${op}/${i}`, depth + 1, counter));
  if (children.length === 0) fail(path, `an "${op}" group needs at least one condition`);
  const targets = new Set(children.map((c) => c.target));
  if (targets.size > 1) fail(path, 'a filter group cannot mix dimensions (WHERE) and measures (HAVING)');
  return { kind: 'group', op, target: children[0]!.target, children };
}

const NO_VALUE = new Set(['is_null', 'not_null']);
const LIST = new Set(['in', 'not_in']);
const TEXT_ONLY = new Set(['contains', 'starts_with']);

function resolveCondition(cube: Cube, condition: ConditionNode, path: string): ResolvedFilter {
  const { field, op } = condition;
  const isDimension = NAME.test(field) && Object.hasOwn(cube.dimensions, field);
  const isMeasure = NAME.test(field) && Object.hasOwn(cube.measures, field);
  if (!isDimension && !isMeasure) fail(`${path}/field`, `unknown field ${JSON.stringify(field.slice(0, 80))} in cube ${cube.name}`);
  const type = isDimension ? cube.dimensions[field]!.type : 'number';
  const values = NO_VALUE.has(op) ? [] : LIST.has(op) ? condition.values : op === 'between' ? condition.values : [condition.value];
  if (values === undefined) fail(`${path}/values`, `operator ${op} needs "values"`);
  if (op === 'between' && values.length !== 2) fail(`${path}/values`, 'between needs exactly two values [low, high]');
  if (!NO_VALUE.has(op) && !LIST.has(op) && op !== 'between' && condition.value === undefined) fail(`${path}/value`, `operator ${op} needs "value"`);
  if (TEXT_ONLY.has(op) && type !== 'string') fail(`${path}/op`, `${op} applies to text dimensions; ${field} is ${type}`);
  if (isMeasure && (LIST.has(op) || TEXT_ONLY.has(op))) fail(`${path}/op`, `${op} does not apply to measure ${field}`);
  values.forEach((value, i) => checkValue(value, type, `${path}/${LIST.has(op) || op === 'between' ? `values/${i}` : 'value'}`, field, op));
  return isDimension
    ? { kind: 'condition', target: 'dimension', field, def: cube.dimensions[field]!, condition }
    : { kind: 'condition', target: 'measure', field, def: cube.measures[field]!, condition };
}

function checkValue(value: unknown, type: Dimension['type'], path: string, field: string, op: string): void {
  if (value === null) {
    if (op === 'eq' || op === 'neq') return;
    fail(path, `null only works with eq/neq (or use is_null) on ${field}`);
  }
  const wrong = (expected: string) =>
    fail(path, `${field} is ${type}: expected ${expected}, got ${typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value}`);
  if (type === 'number' && (typeof value !== 'number' || !Number.isFinite(value))) wrong('a number');
  if (type === 'string' && typeof value !== 'string') wrong('a string');
  if (type === 'date') {
    if (typeof value !== 'string') wrong('a date YYYY-MM-DD');
    dayNumber(value as string, path);
  }
  if (type === 'timestamp' && (typeof value !== 'string' || Number.isNaN(Date.parse(value)) || !/^\d{4}-\d{2}-\d{2}/.test(value)))
    wrong('an ISO 8601 timestamp');
}

function measuresIn(filter: ResolvedFilter): string[] {
  if (filter.kind === 'group') return filter.children.flatMap(measuresIn);
  return filter.target === 'measure' ? [filter.field] : [];
}
