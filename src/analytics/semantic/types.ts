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
  /**
   * count_distinct only: dimensions that have one value per distinct key (an order has one date and one customer).
   * Distinct counts add up across these, so totals roll up from the finest cells instead of re-reading the rows.
   */
  determines?: readonly string[];
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
  /** `<table> as <alias>`, joined `on` the condition; joins may depend on other joins (added first). */
  table: SqlFragment;
  on: SqlFragment;
  dependsOn?: readonly string[];
}

export interface Cube {
  name: string;
  title: string;
  /** `<table> as <alias>`: the fact table, read first. */
  from: SqlFragment;
  /** Joins every query of the cube needs (the fact table's parent rows), before any other. */
  baseJoins?: readonly string[];
  joins: Readonly<Record<string, Join>>;
  dimensions: Readonly<Record<string, Dimension>>;
  measures: Readonly<Record<string, Measure>>;
  /** Named filters a report can switch on. */
  segments: Readonly<Record<string, { title: string; sql: SqlFragment; joins?: readonly string[] }>>;
  /** The time dimension relative date ranges and forecasts use by default. */
  defaultTime: string;
}
