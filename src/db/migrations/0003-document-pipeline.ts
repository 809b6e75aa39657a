import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sql } from 'kysely';
import type { DialectName } from '../db.ts';
import { columnTypes, oneOf, withTimestamps, type ColumnTypes } from './column-types.ts';

const STATUSES = ['pending', 'uploaded', 'processing', 'ready', 'failed'];
const OLD_COLUMNS = ['id', 'title', 'filename', 'media_type', 'size_bytes', 'sha256', 'status', 'metadata', 'version', 'created_at', 'updated_at'];
const OLD_CHUNK_COLUMNS = ['id', 'document_id', 'ordinal', 'text', 'token_count'];

/** The documents table as the pipeline needs it (SQLite builds it new: a CHECK constraint cannot be altered there). */
function documentsTable(db: Kysely<unknown>, t: ColumnTypes, name: string) {
  return withTimestamps(db.schema.createTable(name), t)
    .addColumn('id', 'integer', t.id)
    .addColumn('title', 'text', (col) => col.notNull())
    .addColumn('filename', 'text', (col) => col.notNull())
    .addColumn('media_type', 'text', (col) => col.notNull())
    .addColumn('size_bytes', 'bigint', (col) => col.notNull())
    .addColumn('sha256', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending'))
    .addColumn('metadata', t.json, (col) => col.notNull().defaultTo(sql.lit('{}')))
    .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
    .addCheckConstraint('documents_status_check', oneOf('status', STATUSES))
    .addCheckConstraint('documents_size_check', sql`size_bytes >= 0`);
}

function chunksTable(db: Kysely<unknown>, t: ColumnTypes, name: string, documents: string) {
  return db.schema
    .createTable(name)
    .addColumn('id', 'integer', t.id)
    .addColumn('document_id', 'integer', (col) => col.notNull().references(`${documents}.id`).onDelete('cascade'))
    .addColumn('ordinal', 'integer', (col) => col.notNull())
    .addColumn('text', 'text', (col) => col.notNull())
    .addColumn('token_count', 'integer', (col) => col.notNull())
    .addUniqueConstraint('document_chunks_document_ordinal_key', ['document_id', 'ordinal'])
    .addCheckConstraint('document_chunks_counts_check', sql`ordinal >= 0 and token_count >= 0`);
}

const NEW_DOCUMENT_COLUMNS: [string, string][] = [
  ['blob_key', 'text'],
  ['detected_type', 'text'],
  ['error_step', 'text'],
  ['error', 'text'],
  ['task_id', 'text'],
  ['embedding_model', 'text'],
];

/**
 * The documents pipeline: upload status (`uploaded`), blob key, failure step and error, warnings, soft delete;
 * chunk pages and offsets; the extracted text; vectors. Existing rows keep their data.
 */
export function documentPipeline(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  const binary = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === 'sqlite') {
        // Build new tables, copy, drop the old ones child-first (dropping `documents` while chunks still
        // point at it would cascade-delete them), then rename: SQLite rewrites the chunks' foreign key.
        await documentsTable(db, t, 'documents_v3').execute();
        const cols = sql.join(OLD_COLUMNS.map((c) => sql.ref(c)));
        await sql`insert into documents_v3 (${cols}) select ${cols} from documents`.execute(db);
        await chunksTable(db, t, 'document_chunks_v3', 'documents_v3').execute();
        const chunkCols = sql.join(OLD_CHUNK_COLUMNS.map((c) => sql.ref(c)));
        await sql`insert into document_chunks_v3 (${chunkCols}) select ${chunkCols} from document_chunks`.execute(db);
        await db.schema.dropTable('document_chunks').execute();
        await db.schema.dropTable('documents').execute();
        await sql`alter table documents_v3 rename to documents`.execute(db);
        await sql`alter table document_chunks_v3 rename to document_chunks`.execute(db);
      } else {
        await sql`alter table documents drop constraint documents_status_check`.execute(db);
        await sql`alter table documents add constraint documents_status_check check (${oneOf('status', STATUSES)})`.execute(db);
        await db.schema.dropIndex('documents_sha256_idx').execute();
      }
      for (const [name, type] of NEW_DOCUMENT_COLUMNS)
        await db.schema
          .alterTable('documents')
          .addColumn(name, type as 'text')
          .execute();
      await db.schema
        .alterTable('documents')
        .addColumn('warnings', t.json, (col) => col.notNull().defaultTo(sql.lit('[]')))
        .execute();
      for (const name of ['processing_started_at', 'ready_at', 'deleted_at']) await db.schema.alterTable('documents').addColumn(name, t.timestamp).execute();
      // One live document per content: a second upload of the same bytes finds the first. It replaces the
      // plain sha256 index (a duplicate of it, for the index advisor).
      await db.schema
        .createIndex('documents_blob_sha256_key')
        .on('documents')
        .column('sha256')
        .unique()
        .where(sql.ref('blob_key'), 'is not', null)
        .where(sql.ref('deleted_at'), 'is', null)
        .execute();
      await db.schema.createIndex('documents_status_idx').on('documents').columns(['status', 'updated_at']).execute();

      await db.schema.alterTable('document_chunks').addColumn('page', 'integer').execute();
      await db.schema
        .alterTable('document_chunks')
        .addColumn('start_offset', 'integer', (col) => col.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('document_chunks')
        .addColumn('end_offset', 'integer', (col) => col.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('document_chunks').addColumn('section', 'text').execute();

      await db.schema
        .createTable('document_texts')
        .addColumn('document_id', 'integer', (col) => col.primaryKey().references('documents.id').onDelete('cascade'))
        .addColumn('text', 'text', (col) => col.notNull())
        .execute();

      await db.schema
        .createTable('document_vectors')
        .addColumn('chunk_id', 'integer', (col) => col.primaryKey().references('document_chunks.id').onDelete('cascade'))
        .addColumn('document_id', 'integer', (col) => col.notNull().references('documents.id').onDelete('cascade'))
        .addColumn('model', 'text', (col) => col.notNull())
        .addColumn('dimension', 'integer', (col) => col.notNull())
        .addColumn('embedding', binary, (col) => col.notNull())
        .addCheckConstraint('document_vectors_dimension_check', sql`dimension > 0`)
        .execute();
      await db.schema.createIndex('document_vectors_model_idx').on('document_vectors').columns(['model', 'document_id']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('document_vectors').execute();
      await db.schema.dropTable('document_texts').execute();
    },
  };
}
