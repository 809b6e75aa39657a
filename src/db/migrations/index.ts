import type { Migration, MigrationProvider } from 'kysely/migration';
import { Migrator } from 'kysely/migration';
import { sql } from 'kysely';
import type { Db, DialectName } from '../db.ts';
import { coreTables } from './0001-core-tables.ts';
import { erpTables } from './0002-erp-tables.ts';
import { documentPipeline } from './0003-document-pipeline.ts';
import { reportTables } from './0004-report-tables.ts';
import { customerSegments } from './0006-customer-segments.ts';
import { listFilterIndexes } from './0007-list-filter-indexes.ts';
import { mailTables } from './0008-mail.ts';
import { usersTables } from './0009-users.ts';
import { syncTables } from './0010-sync.ts';
import { alertTables } from './0014-alerts.ts';

export { ACCOUNTS, CHART_OF_ACCOUNTS } from './0002-erp-tables.ts';

/** Migrations live in code (not files found at run time), so a bundled or installed package migrates too. */
export function migrations(dialect: DialectName): Record<string, Migration> {
  return {
    '0001-core-tables': coreTables(dialect),
    '0002-erp-tables': erpTables(dialect),
    '0003-document-pipeline': documentPipeline(dialect),
    '0004-report-tables': reportTables(dialect),
    '0006-customer-segments': customerSegments(),
    '0007-list-filter-indexes': listFilterIndexes(),
    '0008-mail': mailTables(dialect),
    '0009-users': usersTables(dialect),
    '0010-sync': syncTables(dialect),
    '0014-alerts': alertTables(dialect),
  };
}

function provider(dialect: DialectName): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}

/**
 * On PostgreSQL the migration tables are pinned to the connection's current schema: Kysely otherwise
 * looks for them in every schema, and a database holding several AI Stack schemas (tests, tenants)
 * would see another schema's lock table and skip creating its own.
 */
async function migrator(db: Db): Promise<Migrator> {
  // Numbers are handed out per feature and features land in any order (0014 shipped before 0010): a
  // database that has 0014 still gets 0010 when it arrives, instead of Kysely refusing the "gap".
  const common = { db: db.kysely, provider: provider(db.dialect), allowUnorderedMigrations: true };
  if (db.dialect === 'sqlite') return new Migrator(common);
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db.kysely);
  const schema = rows[0]?.schema ?? 'public';
  return new Migrator({ ...common, migrationTableSchema: schema });
}

/** Applies every pending migration (in one transaction on both dialects); reports the names applied. */
export async function migrateToLatest(db: Db): Promise<{ applied: string[] }> {
  const { error, results = [] } = await (await migrator(db)).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(`Migration failed: ${JSON.stringify(error)}`);
  return { applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/** Names of migrations not yet applied (for `doctor` and `/readyz`). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const all = await (await migrator(db)).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
