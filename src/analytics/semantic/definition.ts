import { Type, type Static } from 'typebox';
import { stringEnum } from '../../resources/index.ts';
import { GRAINS, RELATIVE_RANGES } from './dates.ts';

/** Limits that keep a hostile or mistaken definition from becoming an expensive query. */
export const REPORT_LIMITS = {
  maxDimensions: 8,
  maxMeasures: 30,
  maxFilters: 100,
  maxFilterDepth: 4,
  maxInValues: 1000,
  maxRows: 100_000,
  defaultRows: 10_000,
} as const;

const Name = Type.String({ minLength: 1, maxLength: 64 });
const GrainSchema = stringEnum(GRAINS);
const DimensionRef = Type.Union([Name, Type.Object({ field: Name, grain: Type.Optional(GrainSchema) }, { additionalProperties: false })]);
const Scalar = Type.Union([Type.String({ maxLength: 500 }), Type.Number(), Type.Boolean(), Type.Null()]);
const OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'between', 'contains', 'starts_with', 'is_null', 'not_null'] as const;

const Condition = Type.Object(
  {
    field: Name,
    op: stringEnum(OPERATORS),
    value: Type.Optional(Scalar),
    values: Type.Optional(Type.Array(Scalar, { maxItems: REPORT_LIMITS.maxInValues })),
  },
  { additionalProperties: false },
);
// Two levels of and/or nesting in the schema; deeper trees are refused by the compiler with a named 400.
const Group1 = Type.Object(
  {
    and: Type.Optional(Type.Array(Condition, { maxItems: REPORT_LIMITS.maxFilters })),
    or: Type.Optional(Type.Array(Condition, { maxItems: REPORT_LIMITS.maxFilters })),
  },
  { additionalProperties: false },
);
const Filter = Type.Union([
  Condition,
  Type.Object(
    {
      and: Type.Optional(Type.Array(Type.Union([Condition, Group1]), { maxItems: REPORT_LIMITS.maxFilters })),
      or: Type.Optional(Type.Array(Type.Union([Condition, Group1]), { maxItems: REPORT_LIMITS.maxFilters })),
    },
    { additionalProperties: false },
  ),
]);

const DateRange = Type.Object(
  {
    field: Type.Optional(Name),
    relative: Type.Optional(stringEnum(RELATIVE_RANGES)),
    from: Type.Optional(Type.String({ maxLength: 10 })),
    to: Type.Optional(Type.String({ maxLength: 10 })),
  },
  { additionalProperties: false },
);

/** A report or pivot definition: JSON that picks fields from one cube. It never carries SQL. */
export const ReportDefinitionSchema = Type.Object(
  {
    cube: Name,
    title: Type.Optional(Type.String({ maxLength: 200 })),
    /** Flat report: group by these. A pivot uses rows and columns instead. */
    dimensions: Type.Optional(Type.Array(DimensionRef, { maxItems: 10_000 })),
    rows: Type.Optional(Type.Array(DimensionRef, { maxItems: 10_000 })),
    columns: Type.Optional(Type.Array(DimensionRef, { maxItems: 10_000 })),
    measures: Type.Array(Name, { minItems: 1, maxItems: 10_000 }),
    filters: Type.Optional(Type.Array(Filter, { maxItems: REPORT_LIMITS.maxFilters })),
    segments: Type.Optional(Type.Array(Name, { maxItems: 20 })),
    dateRange: Type.Optional(DateRange),
    timezone: Type.Optional(Type.String({ maxLength: 64 })),
    /** The day relative ranges count from (default: today in `timezone`); makes saved reports reproducible. */
    asOf: Type.Optional(Type.String({ maxLength: 10 })),
    sort: Type.Optional(
      Type.Array(
        Type.Object({ field: Name, direction: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])) }, { additionalProperties: false }),
        { maxItems: 10 },
      ),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: REPORT_LIMITS.maxRows })),
    compare: Type.Optional(Type.Union([Type.Literal('previous_period'), Type.Literal('previous_year')])),
    /** Pivots: grand totals (default true) and subtotals at every row/column level (default false). */
    totals: Type.Optional(Type.Boolean()),
    subtotals: Type.Optional(Type.Boolean()),
    percent: Type.Optional(Type.Array(Type.Union([Type.Literal('row'), Type.Literal('column'), Type.Literal('grand')]), { maxItems: 3, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export type ReportDefinition = Static<typeof ReportDefinitionSchema>;
export type FilterNode = Static<typeof Filter> | Static<typeof Group1>;
export type ConditionNode = Static<typeof Condition>;
export type DimensionRefInput = Static<typeof DimensionRef>;
