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
  /** PostgreSQL: non-unique indexes never scanned since statistics were last reset. */
  unused: { table: string; index: string; scans: number }[];
  /** PostgreSQL: indexes left invalid by a failed CREATE INDEX CONCURRENTLY. */
  invalid: { table: string; index: string }[];
  notes: string[];
}

/** PgHero-style index checks on the current schema (or the SQLite file). */
export async function indexHealth(db: Db): Promise<IndexHealthReport> {
  const report: IndexHealthReport = { duplicates: [], unused: [], invalid: [], notes: [] };
  const indexes = db.dialect === 'sqlite' ? await sqliteIndexes(db) : await postgresIndexes(db);
  for (const index of indexes) {
    if (index.unique) continue;
    const cover = indexes.find((other) => other !== index && other.table === index.table && other.columns.length >= index.columns.length
      && index.columns.every((column, i) => other.columns[i] === column) && (other.columns.length > index.columns.length || other.name < index.name));
    if (cover) report.duplicates.push({ table: index.table, index: index.name, coveredBy: cover.name });
  }
  if (db.dialect === 'postgres') {
    const { rows: unused } = await sql<{ table: string; index: string; scans: number }>`
      select s.relname as table, s.indexrelname as index, s.idx_scan as scans
        from pg_stat_user_indexes s join pg_index i on i.indexrelid = s.indexrelid
       where s.schemaname = current_schema() and not i.indisunique and not i.indisprimary and s.idx_scan = 0
       order by s.relname, s.indexrelname`.execute(db.kysely);
    report.unused = unused;
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
