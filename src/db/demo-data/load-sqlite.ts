import type { StatementSync } from 'node:sqlite';
import type { NodeSqliteHandles } from '../dialects/sqlite/index.ts';
import { DEMO_COLUMNS, DEMO_TABLES, type DemoChunk, type DemoRow, type DemoTable } from './tables.ts';

/** 100 rows per INSERT measured best for SQLite (fewer VM round trips, still far below the 32 766-parameter limit). */
const ROWS_PER_STATEMENT = 100;

/**
 * Bulk load on the SQLite writer: cached multi-row INSERTs, one transaction per chunk. On a fresh
 * load, secondary indexes are dropped and rebuilt afterwards and foreign keys are checked once at
 * the end (`foreign_key_check`) instead of per row: both are several times faster in bulk.
 */
export async function loadIntoSqlite(
  handles: NodeSqliteHandles,
  chunks: Iterable<DemoChunk>,
  fresh: boolean,
  onChunk: (chunk: DemoChunk) => void,
): Promise<void> {
  await handles.withWriter(({ db }) => {
    const statements = new Map<string, StatementSync>();
    const insert = (table: DemoTable, rows: DemoRow[]): void => {
      const width = DEMO_COLUMNS[table].length;
      for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
        const slice = rows.slice(start, start + ROWS_PER_STATEMENT);
        const key = `${table}:${slice.length}`;
        let statement = statements.get(key);
        if (!statement) {
          const tuple = `(${new Array<string>(width).fill('?').join(',')})`;
          statement = db.prepare(`insert into ${table} (${DEMO_COLUMNS[table].join(',')}) values ${new Array<string>(slice.length).fill(tuple).join(',')}`);
          statements.set(key, statement);
        }
        statement.run(...slice.flat());
      }
    };
    const dropped = fresh ? dropSecondaryIndexes(handles) : [];
    if (fresh) db.exec('pragma foreign_keys = off');
    try {
      db.exec('pragma cache_size = -262144');
      for (const chunk of chunks) {
        db.exec('begin');
        try {
          for (const { table, rows } of chunk.tables) insert(table, rows);
          db.exec('commit');
        } catch (error) {
          if (db.isTransaction) db.exec('rollback');
          throw error;
        }
        onChunk(chunk);
      }
    } finally {
      for (const ddl of dropped) db.exec(ddl);
      if (fresh) db.exec('pragma foreign_keys = on');
      db.exec('pragma cache_size = -2000');
    }
    if (fresh) {
      const broken = db.prepare('pragma foreign_key_check').all();
      if (broken.length > 0) throw new Error(`Demo data broke ${broken.length} foreign keys, e.g. ${JSON.stringify(broken[0])}`);
    }
    db.exec('analyze');
  });
}

/** Drops the non-unique indexes of the demo tables and returns the DDL that recreates them. */
function dropSecondaryIndexes(handles: NodeSqliteHandles): string[] {
  const { db } = handles.writer;
  const placeholders = DEMO_TABLES.map(() => '?').join(',');
  const indexes = db
    .prepare(
      `select name, sql from sqlite_master where type = 'index' and sql is not null and sql not like 'create unique%' collate nocase and tbl_name in (${placeholders})`,
    )
    .all(...DEMO_TABLES) as { name: string; sql: string }[];
  for (const { name } of indexes) db.exec(`drop index "${name.replaceAll('"', '""')}"`);
  // Statements prepared against the old schema would be re-prepared anyway; drop them to free memory.
  handles.writer.statements.clear();
  return indexes.map((index) => index.sql);
}
