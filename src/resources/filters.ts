import { Type, type TSchema } from 'typebox';

/** One `?name=value` filter of a list route, on an indexed column. */
export interface ListFilter {
  column: string;
  /** Fixed per filter, never from the request. */
  op: '=' | '>=' | '<';
  /** Validates the query value (and documents it in OpenAPI). */
  schema: TSchema;
  /** Turns the validated value into the column's stored form (e.g. ISO-8601 UTC for timestamps). */
  toValue?: (value: unknown) => unknown;
}

export type ListFilters = Readonly<Record<string, ListFilter>>;

/** A condition handed to the repository: column and operator come from the resource's declaration. */
export interface FilterCondition {
  column: string;
  op: ListFilter['op'];
  value: unknown;
}

/** Timestamps are stored as ISO-8601 UTC (text on SQLite): a filter value must have the same form to compare. */
const toIsoUtc = (value: unknown): string => new Date(String(value)).toISOString();

/** `created_after` (inclusive) and `created_before` (exclusive) on a timestamp column. */
export function createdBetween(column = 'created_at'): ListFilters {
  return {
    created_after: {
      column,
      op: '>=',
      schema: Type.String({ format: 'date-time', description: `${column} at or after this ISO 8601 time` }),
      toValue: toIsoUtc,
    },
    created_before: { column, op: '<', schema: Type.String({ format: 'date-time', description: `${column} before this ISO 8601 time` }), toValue: toIsoUtc },
  };
}

/** The conditions for the filters present in a validated query. */
export function filterConditions(filters: ListFilters | undefined, query: Record<string, unknown>): FilterCondition[] {
  const out: FilterCondition[] = [];
  for (const [name, filter] of Object.entries(filters ?? {})) {
    const raw = query[name];
    if (raw === undefined) continue;
    out.push({ column: filter.column, op: filter.op, value: filter.toValue ? filter.toValue(raw) : raw });
  }
  return out;
}
