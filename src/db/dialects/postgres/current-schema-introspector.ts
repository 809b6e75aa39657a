import type { ColumnMetadata, DatabaseIntrospector, DatabaseMetadataOptions, Kysely, SchemaMetadata, TableMetadata } from 'kysely';
import { PostgresDialect, sql } from 'kysely';

/**
 * Kysely's PostgreSQL introspector lists tables of every schema in the database. Two things go
 * wrong when several deployments (or test runs) share one database through different schemas:
 * the Migrator finds another schema's `kysely_migration` and skips creating its own, and a schema
 * dropped concurrently makes `has_schema_privilege` fail with "schema does not exist". This one
 * looks only at `current_schema()`, the schema our unqualified table names resolve to.
 */
export class CurrentSchemaIntrospector implements DatabaseIntrospector {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own signature
  readonly #db: Kysely<any>;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own signature
  constructor(db: Kysely<any>) {
    this.#db = db;
  }

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select current_schema()::text as name`.execute(this.#db);
    return rows;
  }

  async getTables(options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
    const { rows } = await sql<{
      schema: string;
      table: string;
      is_view: boolean;
      column: string;
      data_type: string;
      nullable: boolean;
      has_default: boolean;
      identity: boolean;
    }>`
      select c.table_schema::text as schema, c.table_name::text as table, t.table_type = 'VIEW' as is_view,
             c.column_name::text as column, c.udt_name::text as data_type, c.is_nullable = 'YES' as nullable,
             c.column_default is not null as has_default, c.is_identity = 'YES' as identity
        from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
       where c.table_schema = current_schema()
       order by c.table_name, c.ordinal_position`.execute(this.#db);
    const tables = new Map<string, TableMetadata & { columns: ColumnMetadata[] }>();
    for (const row of rows) {
      if (!options.withInternalKyselyTables && row.table.startsWith('kysely_migration')) continue;
      let table = tables.get(row.table);
      if (!table) {
        table = { name: row.table, schema: row.schema, isView: row.is_view, isForeign: false, columns: [] as ColumnMetadata[] };
        tables.set(row.table, table);
      }
      table.columns.push({
        name: row.column,
        dataType: row.data_type,
        isNullable: row.nullable,
        isAutoIncrementing: row.identity,
        hasDefaultValue: row.has_default || row.identity,
      });
    }
    return [...tables.values()];
  }
}

/** Kysely's PostgresDialect with the current-schema introspector. */
export class SchemaScopedPostgresDialect extends PostgresDialect {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own signature
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}
