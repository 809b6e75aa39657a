import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';

/** Test/bench-only bridge from node:sqlite to Kysely's SqliteDialect (the db module ships the real one). */
export function sqliteKysely<DB>(path = ':memory:'): { db: Kysely<DB>; raw: DatabaseSync } {
  const raw = new DatabaseSync(path);
  const database: SqliteDatabase = {
    close: () => raw.close(),
    prepare(sql: string): SqliteStatement {
      const statement = raw.prepare(sql);
      const params = (values: ReadonlyArray<unknown>): SQLInputValue[] => values as SQLInputValue[];
      return {
        reader: statement.columns().length > 0,
        all: (values) => statement.all(...params(values)),
        run: (values) => {
          const result = statement.run(...params(values));
          return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
        },
        iterate: (values) => statement.iterate(...params(values)),
      };
    },
  };
  return { db: new Kysely<DB>({ dialect: new SqliteDialect({ database }) }), raw };
}
