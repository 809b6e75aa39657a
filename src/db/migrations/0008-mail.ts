import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sql } from 'kysely';
import type { DialectName } from '../db.ts';
import { columnTypes, oneOf, withTimestamps } from './column-types.ts';

/**
 * The mail outbox (one row per recipient, written in the business change's transaction and
 * delivered by a task) and the suppression list every send consults.
 */
export function mailTables(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await withTimestamps(db.schema.createTable('mail_outbox'), t)
        .addColumn('id', 'integer', t.id)
        .addColumn('message_id', 'text', (col) => col.notNull().unique())
        .addColumn('idempotency_key', 'text', (col) => col.notNull().unique())
        .addColumn('batch_id', 'text')
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('recipient', 'text', (col) => col.notNull())
        .addColumn('domain', 'text', (col) => col.notNull())
        .addColumn('subject', 'text', (col) => col.notNull())
        .addColumn('payload', t.json, (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending'))
        .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('next_attempt_at', t.timestamp, (col) => col.notNull().defaultTo(t.now))
        .addColumn('lease_until', t.timestamp)
        .addColumn('last_error', 'text')
        .addColumn('response_code', 'integer')
        .addColumn('sent_at', t.timestamp)
        .addCheckConstraint('mail_outbox_status_check', oneOf('status', ['pending', 'sending', 'sent', 'failed', 'suppressed']))
        .addCheckConstraint('mail_outbox_attempts_check', sql`attempts >= 0`)
        .execute();
      await db.schema.createIndex('mail_outbox_due_idx').on('mail_outbox').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('mail_outbox_batch_idx').on('mail_outbox').columns(['batch_id', 'status']).execute();

      await withTimestamps(db.schema.createTable('mail_suppressions'), t, ['created_at'])
        .addColumn('address', 'text', (col) => col.primaryKey())
        .addColumn('reason', 'text', (col) => col.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['mail_suppressions', 'mail_outbox']) await db.schema.dropTable(table).execute();
    },
  };
}
