import type { ColumnDefinitionBuilder, CreateTableBuilder, Expression } from 'kysely';
import { sql } from 'kysely';
import type { DialectName } from '../db.ts';

/**
 * The few places where one schema needs different SQL per dialect. Everything else in the
 * migrations is plain Kysely schema-builder code shared by both.
 */
export interface ColumnTypes {
  timestamp: 'timestamptz' | 'text';
  date: 'date' | 'text';
  json: 'jsonb' | 'text';
  /** Default for created_at/updated_at: now, in the ISO-8601 UTC form the app writes itself. */
  now: Expression<unknown>;
  id: (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
}

export function columnTypes(dialect: DialectName): ColumnTypes {
  if (dialect === 'postgres') {
    return {
      timestamp: 'timestamptz',
      date: 'date',
      json: 'jsonb',
      now: sql`now()`,
      id: (col) => col.primaryKey().generatedByDefaultAsIdentity(),
    };
  }
  return {
    timestamp: 'text',
    date: 'text',
    json: 'text',
    now: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
    // AUTOINCREMENT: ids of deleted rows are never reused, so a stale id cannot address a new row.
    id: (col) => col.primaryKey().autoIncrement(),
  };
}

/** `created_at`/`updated_at` with defaults, on any table builder. */
export function withTimestamps<T extends string, C extends string>(
  table: CreateTableBuilder<T, C>,
  types: ColumnTypes,
  columns: readonly string[] = ['created_at', 'updated_at'],
): CreateTableBuilder<T, C> {
  return columns.reduce(
    (builder, name) => builder.addColumn(name, types.timestamp, (col) => col.notNull().defaultTo(types.now)) as CreateTableBuilder<T, C>,
    table,
  );
}

/** `CHECK (column IN ('a', 'b'))` without string concatenation of user input (values are ours). */
export function oneOf(column: string, values: readonly string[]): Expression<unknown> {
  return sql`${sql.ref(column)} in (${sql.join(values.map((value) => sql.lit(value)))})`;
}
