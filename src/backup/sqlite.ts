import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { backup, DatabaseSync } from 'node:sqlite';

export interface SqliteSnapshot {
  tables: Record<string, number>;
  migration: string | null;
}

/** One backup step copies every page, so the copy is one read transaction's view (WAL lets writers go on meanwhile). */
const ALL_PAGES = 2 ** 31 - 1;

/**
 * Copies a live SQLite file with SQLite's online backup API (never a file copy, which could catch a
 * half-written page or miss the WAL) into `copyPath`, then counts its rows and checks it.
 */
export async function snapshotSqlite(file: string, copyPath: string): Promise<SqliteSnapshot> {
  const source = new DatabaseSync(file, { readOnly: true, timeout: 30_000 });
  try {
    await backup(source, copyPath, { rate: ALL_PAGES });
  } finally {
    source.close();
  }
  const copy = new DatabaseSync(copyPath);
  try {
    // A backup is one self-contained file: no -wal beside it when restored.
    copy.exec('pragma journal_mode = delete');
    const check = copy.prepare('pragma quick_check').get() as { quick_check: string } | undefined;
    if (check?.quick_check !== 'ok') throw new Error(`the copy of ${file} fails SQLite's quick_check: ${check?.quick_check ?? 'no answer'}`);
    return describeSqlite(copy);
  } finally {
    copy.close();
  }
}

/** Row counts of every table of an SQLite file and its newest migration; empty when the file does not exist. */
export function inspectSqliteFile(file: string): SqliteSnapshot {
  if (!existsSync(file)) return { tables: {}, migration: null };
  const db = new DatabaseSync(file, { readOnly: true, timeout: 30_000 });
  try {
    return describeSqlite(db);
  } finally {
    db.close();
  }
}

function describeSqlite(db: DatabaseSync): SqliteSnapshot {
  const names = (
    db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all() as Array<{ name: string }>
  ).map((r) => r.name);
  const tables: Record<string, number> = {};
  for (const name of names) tables[name] = Number((db.prepare(`select count(*) as n from "${name.replaceAll('"', '""')}"`).get() as { n: number }).n);
  const migration = names.includes('kysely_migration')
    ? ((db.prepare('select name from kysely_migration order by name desc limit 1').get() as { name: string } | undefined)?.name ?? null)
    : null;
  return { tables, migration };
}

/** Puts a restored copy in place of `file`: the old file and its -wal/-shm go first, so SQLite never pairs the new file with an old WAL. */
export async function replaceSqliteFile(copyPath: string, file: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(`${file}${suffix}`, { force: true });
  await rename(copyPath, file);
}
