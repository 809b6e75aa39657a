import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sql } from 'kysely';
import type { DialectName } from '../db.ts';
import { columnTypes, oneOf, withTimestamps } from './column-types.ts';

/**
 * External data sync: the sources (edited through /admin/sync/sources; credentials encrypted), each run's
 * statistics, and a generic staging table for records that map to no ERP table.
 */
export function syncTables(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await withTimestamps(db.schema.createTable('sync_sources'), t)
        .addColumn('id', 'integer', t.id)
        .addColumn('name', 'text', (col) => col.notNull().unique())
        .addColumn('url', 'text', (col) => col.notNull())
        .addColumn('format', 'text', (col) => col.notNull())
        .addColumn('target', 'text', (col) => col.notNull())
        /** Everything else about the source (pagination, incremental mode, limits, field mapping) as validated JSON. */
        .addColumn('settings', 'text', (col) => col.notNull())
        .addColumn('credential_header', 'text')
        /** AES-256-GCM sealed (`v1:iv:tag:ciphertext`); never returned by the API. */
        .addColumn('credential_sealed', 'text')
        .addColumn('enabled', 'integer', (col) => col.notNull().defaultTo(1))
        // Where the next run continues; written only after a run applied its rows.
        .addColumn('etag', 'text')
        .addColumn('last_modified', 'text')
        .addColumn('cursor', 'text')
        .addColumn('high_water', 'text')
        .addCheckConstraint('sync_sources_format_check', oneOf('format', ['json', 'csv']))
        .addCheckConstraint('sync_sources_target_check', oneOf('target', ['customers', 'products', 'staging']))
        .execute();
      await db.schema
        .createTable('sync_runs')
        .addColumn('id', 'integer', t.id)
        .addColumn('source_id', 'integer', (col) => col.notNull().references('sync_sources.id').onDelete('cascade'))
        .addColumn('task_id', 'text')
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('started_at', t.timestamp, (col) => col.notNull())
        .addColumn('finished_at', t.timestamp)
        .addColumn('pages', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('rows_read', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('inserted', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('updated', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('unchanged', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('rejected', 'integer', (col) => col.notNull().defaultTo(0))
        /** JSON array of the first rejected rows and why (capped). */
        .addColumn('rejections', 'text', (col) => col.notNull().defaultTo('[]'))
        .addColumn('error', 'text')
        .addCheckConstraint('sync_runs_status_check', oneOf('status', ['running', 'succeeded', 'not_modified', 'failed']))
        .execute();
      await db.schema.createIndex('sync_runs_source_idx').on('sync_runs').columns(['source_id', 'id']).execute();
      await withTimestamps(db.schema.createTable('sync_staging'), t)
        .addColumn('id', 'integer', t.id)
        .addColumn('source_id', 'integer', (col) => col.notNull().references('sync_sources.id').onDelete('cascade'))
        .addColumn('record_key', 'text', (col) => col.notNull())
        .addColumn('data', 'text', (col) => col.notNull())
        .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
        .execute();
      await sql`create unique index sync_staging_key_idx on sync_staging (source_id, record_key)`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['sync_staging', 'sync_runs', 'sync_sources']) await db.schema.dropTable(table).execute();
    },
  };
}
