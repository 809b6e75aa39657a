import { sql } from 'kysely';
import type { Db } from '../db.ts';

export interface IndexInfo {
  table: string;
  name: string;
  columns: string[];
  unique: boolean;
}

export interface IndexHealthReport {
  /** Non-unique indexes whose columns are a leading prefix of another index: the longer one serves both. */
  duplicates: { table: string; index: string; coveredBy: string }[];
  /**
   * PostgreSQL: non-unique indexes never scanned since statistics were last reset. `observedShare`
   * is the part of the statistics window the index has existed for (by transactions); `tooYoung`
   * says the window is too short to call it unused.
   */
  unused: { table: string; index: string; scans: number; observedShare: number; tooYoung: boolean }[];
  /** PostgreSQL: indexes left invalid by a failed CREATE INDEX CONCURRENTLY. */
  invalid: { table: string; index: string }[];
  notes: string[];
  /** PostgreSQL: why "unused" cannot be trusted yet (statistics reset recently, indexes created since). */
  warnings: string[];
}

/** Usage statistics younger than this cannot show an index is unused (weekly jobs, month-end reports). */
const MIN_STATS_AGE_HOURS = 7 * 24;
/** An index that existed for less than this share of the statistics window is too new to judge. */
const MIN_OBSERVED_SHARE = 0.5;

/** PgHero-style index checks on the current schema (or the SQLite file). */
export async function indexHealth(db: Db): Promise<IndexHealthReport> {
  const report: IndexHealthReport = { duplicates: [], unused: [], invalid: [], notes: [], warnings: [] };
  const indexes = db.dialect === 'sqlite' ? await sqliteIndexes(db) : await postgresIndexes(db);
  for (const index of indexes) {
    if (index.unique) continue;
    const cover = indexes.find(
      (other) =>
        other !== index &&
        other.table === index.table &&
        other.columns.length >= index.columns.length &&
        index.columns.every((column, i) => other.columns[i] === column) &&
        (other.columns.length > index.columns.length || other.name < index.name),
    );
    if (cover) report.duplicates.push({ table: index.table, index: index.name, coveredBy: cover.name });
  }
  if (db.dialect === 'postgres') {
    // Statistics age: since the last reset, or, never reset, since the server started (a lower bound).
    const {
      rows: [window],
    } = await sql<{ since: Date | null; hours: number; transactions: string }>`
      select coalesce(d.stats_reset, pg_postmaster_start_time()) as since,
             extract(epoch from now() - coalesce(d.stats_reset, pg_postmaster_start_time())) / 3600 as hours,
             (d.xact_commit + d.xact_rollback)::text as transactions
        from pg_stat_database d where d.datname = current_database()`.execute(db.kysely);
    const { rows: unused } = await sql<{ table: string; index: string; scans: number; age: number }>`
      select s.relname as table, s.indexrelname as index, s.idx_scan::int as scans, age(ic.xmin)::int as age
        from pg_stat_user_indexes s join pg_index i on i.indexrelid = s.indexrelid join pg_class ic on ic.oid = s.indexrelid
       where s.schemaname = current_schema() and not i.indisunique and not i.indisprimary and s.idx_scan = 0
       order by s.relname, s.indexrelname`.execute(db.kysely);
    const hours = Number(window?.hours ?? 0);
    const transactions = Math.max(1, Number(window?.transactions ?? 1));
    const young = hours < MIN_STATS_AGE_HOURS;
    report.unused = unused.map(({ age, ...row }) => {
      // age(xmin): transactions since the index's catalog row was written (created or rebuilt).
      const observedShare = Math.round(Math.min(1, age / transactions) * 100) / 100;
      return { ...row, observedShare, tooYoung: young || observedShare < MIN_OBSERVED_SHARE };
    });
    if (young && unused.length > 0) {
      report.warnings.push(
        `Index usage statistics cover only ${hours.toFixed(1)} hours (since ${window?.since instanceof Date ? window.since.toISOString() : String(window?.since)}): too young to call an index unused; wait at least ${MIN_STATS_AGE_HOURS / 24} days of normal traffic.`,
      );
    }
    for (const index of report.unused.filter((u) => u.observedShare < MIN_OBSERVED_SHARE)) {
      report.warnings.push(
        `${index.index} is new: it has existed for ${Math.round(index.observedShare * 100)} % of the statistics window, too short to call it unused.`,
      );
    }
    const { rows: invalid } = await sql<{ table: string; index: string }>`
      select c.relname as table, ic.relname as index from pg_index i
        join pg_class c on c.oid = i.indrelid join pg_class ic on ic.oid = i.indexrelid
       where c.relnamespace = current_schema()::regnamespace and not i.indisvalid`.execute(db.kysely);
    report.invalid = invalid;
  } else {
    report.notes.push('SQLite keeps no index usage statistics and has no invalid indexes: only duplicates are checked.');
  }
  return report;
}

async function sqliteIndexes(db: Db): Promise<IndexInfo[]> {
  const { rows } = await sql<{ table: string; name: string; unique: number; columns: string }>`
    select m.tbl_name as "table", il.name as name, il."unique" as "unique",
           (select group_concat(name, ',') from (select ii.name from pragma_index_info(il.name) ii order by ii.seqno)) as columns
      from sqlite_master m join pragma_index_list(m.tbl_name) il
     where m.type = 'table' and m.name not like 'sqlite_%'`.execute(db.kysely);
  return rows.map((r) => ({ table: r.table, name: r.name, unique: r.unique === 1, columns: (r.columns ?? '').split(',') }));
}

async function postgresIndexes(db: Db): Promise<IndexInfo[]> {
  const { rows } = await sql<IndexInfo>`
    select c.relname::text as table, ic.relname::text as name, i.indisunique as unique,
           array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, n)
                 join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.n) as columns
      from pg_index i join pg_class c on c.oid = i.indrelid join pg_class ic on ic.oid = i.indexrelid
     where c.relnamespace = current_schema()::regnamespace`.execute(db.kysely);
  return rows;
}
