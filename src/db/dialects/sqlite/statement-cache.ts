import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** A prepared statement plus whether it returns rows, decided once at prepare time. */
export interface CachedStatement {
  statement: StatementSync;
  returnsRows: boolean;
}

/**
 * Prepared statements per connection, bounded LRU. Kysely compiles the same SQL text for the same
 * query shape, so re-using the statement skips SQLite's parser and planner on every hot query.
 */
export class StatementCache {
  readonly #db: DatabaseSync;
  readonly #max: number;
  readonly #statements = new Map<string, CachedStatement>();
  hits = 0;
  misses = 0;

  constructor(db: DatabaseSync, max = 256) {
    this.#db = db;
    this.#max = max;
  }

  get(sql: string): CachedStatement {
    const found = this.#statements.get(sql);
    if (found) {
      this.hits++;
      // Map keeps insertion order: re-inserting marks the entry as most recently used.
      this.#statements.delete(sql);
      this.#statements.set(sql, found);
      return found;
    }
    this.misses++;
    const statement = this.#db.prepare(sql);
    const entry: CachedStatement = { statement, returnsRows: statement.columns().length > 0 };
    this.#statements.set(sql, entry);
    if (this.#statements.size > this.#max) {
      const oldest = this.#statements.keys().next();
      if (!oldest.done) this.#statements.delete(oldest.value);
    }
    return entry;
  }

  clear(): void {
    this.#statements.clear();
  }
}
