import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sql } from 'kysely';
import type { DialectName } from '../db.ts';
import { columnTypes, oneOf, withTimestamps } from './column-types.ts';

/** Knowledge base and API keys: the tables the HTTP service needs from day one. */
export function coreTables(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await withTimestamps(db.schema.createTable('api_keys'), t, ['created_at'])
        .addColumn('id', 'integer', t.id)
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('prefix', 'text', (col) => col.notNull())
        .addColumn('key_hash', 'text', (col) => col.notNull().unique())
        .addColumn('scopes', 'text', (col) => col.notNull())
        .addColumn('last_used_at', t.timestamp)
        .addColumn('expires_at', t.timestamp)
        .addColumn('revoked_at', t.timestamp)
        .addCheckConstraint('api_keys_scopes_check', sql`scopes <> ''`)
        .execute();

      await withTimestamps(db.schema.createTable('documents'), t)
        .addColumn('id', 'integer', t.id)
        .addColumn('title', 'text', (col) => col.notNull())
        .addColumn('filename', 'text', (col) => col.notNull())
        .addColumn('media_type', 'text', (col) => col.notNull())
        .addColumn('size_bytes', 'bigint', (col) => col.notNull())
        .addColumn('sha256', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending'))
        .addColumn('metadata', t.json, (col) => col.notNull().defaultTo(sql.lit('{}')))
        .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
        .addCheckConstraint('documents_status_check', oneOf('status', ['pending', 'processing', 'ready', 'failed']))
        .addCheckConstraint('documents_size_check', sql`size_bytes >= 0`)
        .execute();
      await db.schema.createIndex('documents_sha256_idx').on('documents').column('sha256').execute();

      await db.schema
        .createTable('document_chunks')
        .addColumn('id', 'integer', t.id)
        .addColumn('document_id', 'integer', (col) => col.notNull().references('documents.id').onDelete('cascade'))
        .addColumn('ordinal', 'integer', (col) => col.notNull())
        .addColumn('text', 'text', (col) => col.notNull())
        .addColumn('token_count', 'integer', (col) => col.notNull())
        .addUniqueConstraint('document_chunks_document_ordinal_key', ['document_id', 'ordinal'])
        .addCheckConstraint('document_chunks_counts_check', sql`ordinal >= 0 and token_count >= 0`)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['document_chunks', 'documents', 'api_keys']) await db.schema.dropTable(table).execute();
    },
  };
}
