import type { RawBuilder } from 'kysely';

/** SQL fragments in the model are ours, built with Kysely's `sql` tag: no user text ever reaches them. */
export type SqlFragment = RawBuilder<unknown>;

export type FieldType = 'string' | 'number' | 'date' | 'timestamp';

export interface Dimension {
  type: FieldType;
  title: string;
  sql: SqlFragment;
  /** Joins (by name) this dimension needs beyond the cube's base table. */
  joins?: readonly string[];
}

export type BaseAggregation = 'count' | 'count_distinct' | 'sum' | 'avg' | 'min' | 'max';
export type MeasureFormat = 'integer' | 'number' | 'currency' | 'percent';

interface MeasureCommon {
  title: string;
  format: MeasureFormat;
  joins?: readonly string[];
}

/** count/sum/avg/min/max over an expression, optionally filtered (a CASE inside the aggregate). */
export interface BaseMeasure extends MeasureCommon {
  agg: BaseAggregation;
  /** Omitted for count(*). */
  sql?: SqlFragment;
  /** Filtered measure: only rows matching this condition count. */
  filter?: SqlFragment;
  /** Values are stored in minor units: the result is divided by this (100 for cents). */
  divisor?: number;
}

/** numerator / denominator (both base measures) × multiplier, re-evaluated at every grouping level; null when the denominator is 0. */
export interface RatioMeasure extends MeasureCommon {
  agg: 'ratio';
  numerator: string;
  denominator: string;
  multiplier?: number;
}

export type Measure = BaseMeasure | RatioMeasure;

export interface Join {
  /** `join <table> as <alias> on …`; joins may depend on other joins (listed first). */
  sql: SqlFragment;
  dependsOn?: readonly string[];
}

export interface Cube {
  name: string;
  title: string;
  /** `from <table> as <alias>` */
  from: SqlFragment;
  joins: Readonly<Record<string, Join>>;
  dimensions: Readonly<Record<string, Dimension>>;
  measures: Readonly<Record<string, Measure>>;
  /** Named filters a report can switch on. */
  segments: Readonly<Record<string, { title: string; sql: SqlFragment; joins?: readonly string[] }>>;
  /** The time dimension relative date ranges and forecasts use by default. */
  defaultTime: string;
}
