import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sql } from 'kysely';
import type { DialectName } from '../db.ts';
import { columnTypes, oneOf, withTimestamps } from './column-types.ts';

/** People who sign in to the web console, and their server-side sessions. */
export function usersTables(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await withTimestamps(db.schema.createTable('users'), t)
        .addColumn('id', 'integer', t.id)
        .addColumn('username', 'text', (col) => col.notNull().unique())
        .addColumn('password_hash', 'text', (col) => col.notNull())
        .addColumn('role', 'text', (col) => col.notNull())
        .addColumn('failed_logins', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('locked_until', t.timestamp)
        .addColumn('disabled_at', t.timestamp)
        .addCheckConstraint('users_role_check', oneOf('role', ['admin', 'write', 'read']))
        .addCheckConstraint('users_failed_logins_check', sql`failed_logins >= 0`)
        .execute();

      await withTimestamps(db.schema.createTable('user_sessions'), t, ['created_at'])
        .addColumn('id', 'integer', t.id)
        // SHA-256 of the cookie's token: a copy of the table does not hand out live sessions.
        .addColumn('token_hash', 'text', (col) => col.notNull().unique())
        .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('csrf_token', 'text', (col) => col.notNull())
        .addColumn('expires_at', t.timestamp, (col) => col.notNull())
        .execute();
      await db.schema.createIndex('user_sessions_user_idx').on('user_sessions').column('user_id').execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['user_sessions', 'users']) await db.schema.dropTable(table).execute();
    },
  };
}
