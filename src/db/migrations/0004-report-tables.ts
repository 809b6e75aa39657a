import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sql } from 'kysely';
import type { DialectName } from '../db.ts';
import { columnTypes, oneOf, withTimestamps } from './column-types.ts';

/**
 * Saved report definitions (every edit is a new, kept version) and the files reports produce (exports,
 * scheduled statistics), each reachable through an expiring download token.
 */
export function reportTables(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await withTimestamps(db.schema.createTable('report_definitions'), t)
        .addColumn('id', 'integer', t.id)
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('description', 'text')
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('shared', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
        .addCheckConstraint('report_definitions_kind_check', oneOf('kind', ['report', 'pivot']))
        .addCheckConstraint('report_definitions_shared_check', sql`shared in (0, 1)`)
        .execute();
      await db.schema
        .createTable('report_definition_versions')
        .addColumn('id', 'integer', t.id)
        .addColumn('definition_id', 'integer', (col) => col.notNull().references('report_definitions.id').onDelete('cascade'))
        .addColumn('version', 'integer', (col) => col.notNull())
        .addColumn('definition', t.json, (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull().defaultTo(t.now))
        .addUniqueConstraint('report_definition_versions_key', ['definition_id', 'version'])
        .execute();
      await db.schema
        .createTable('report_files')
        .addColumn('token', 'text', (col) => col.primaryKey())
        .addColumn('file_key', 'text', (col) => col.notNull())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('filename', 'text', (col) => col.notNull())
        .addColumn('media_type', 'text', (col) => col.notNull())
        .addColumn('size_bytes', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', t.timestamp, (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull().defaultTo(t.now))
        .execute();
      await db.schema.createIndex('report_files_expires_at_idx').on('report_files').column('expires_at').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['report_files', 'report_definition_versions', 'report_definitions']) await db.schema.dropTable(table).execute();
    },
  };
}
