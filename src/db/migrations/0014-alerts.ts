import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sql } from 'kysely';
import type { DialectName } from '../db.ts';
import { columnTypes, oneOf, withTimestamps } from './column-types.ts';

/** Alert rules (edited through /admin/alerts) and their incidents: at most one open incident per rule. */
export function alertTables(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await withTimestamps(db.schema.createTable('alert_rules'), t)
        .addColumn('id', 'integer', t.id)
        .addColumn('name', 'text', (col) => col.notNull().unique())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('threshold', 'double precision', (col) => col.notNull())
        .addColumn('queue', 'text')
        .addColumn('severity', 'text', (col) => col.notNull())
        .addColumn('cooldown_seconds', 'integer', (col) => col.notNull())
        .addColumn('emails', 'text', (col) => col.notNull())
        .addColumn('webhook_url', 'text')
        .addColumn('webhook_secret', 'text')
        .addColumn('enabled', 'integer', (col) => col.notNull().defaultTo(1))
        .addCheckConstraint('alert_rules_severity_check', oneOf('severity', ['info', 'warning', 'critical']))
        .addCheckConstraint('alert_rules_cooldown_check', sql`cooldown_seconds >= 0`)
        .execute();
      await db.schema
        .createTable('alert_incidents')
        .addColumn('id', 'integer', t.id)
        .addColumn('rule_id', 'integer', (col) => col.notNull().references('alert_rules.id').onDelete('cascade'))
        .addColumn('opened_at', t.timestamp, (col) => col.notNull())
        .addColumn('resolved_at', t.timestamp)
        .addColumn('value', 'double precision', (col) => col.notNull())
        .addColumn('summary', 'text', (col) => col.notNull())
        .addColumn('notify_errors', 'text')
        .execute();
      // One open incident per rule, even with two evaluators racing: the second insert fails instead of alerting twice.
      await sql`create unique index alert_incidents_open_idx on alert_incidents (rule_id) where resolved_at is null`.execute(db);
      await db.schema.createIndex('alert_incidents_rule_idx').on('alert_incidents').columns(['rule_id', 'opened_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['alert_incidents', 'alert_rules']) await db.schema.dropTable(table).execute();
    },
  };
}
