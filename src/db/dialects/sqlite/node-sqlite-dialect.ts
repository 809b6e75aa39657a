import type { DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler } from 'kysely';
import { SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import { NodeSqliteDriver } from './node-sqlite-driver.ts';
import type { NodeSqliteHandles } from './node-sqlite-handles.ts';

/**
 * Kysely's SQLite adapter assumes one connection behind a mutex; ours has a locked writer plus
 * WAL readers, and SQLite DDL is transactional, so migrations can run inside one transaction.
 */
class NodeSqliteAdapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }

  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** Kysely dialect for Node's built-in `node:sqlite` (no native add-on to compile). */
export class NodeSqliteDialect implements Dialect {
  readonly #handles: NodeSqliteHandles;

  constructor(handles: NodeSqliteHandles) {
    this.#handles = handles;
  }

  createDriver(): Driver {
    return new NodeSqliteDriver(this.#handles);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new NodeSqliteAdapter();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own signature
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
