import type { CompiledQuery, DatabaseConnection, Driver, QueryCompiler } from 'kysely';
import { createQueryId, IdentifierNode, RawNode } from 'kysely';
import { diskFlushDeferred } from '../../commit-durability.ts';
import { NodeSqliteConnection } from './node-sqlite-connection.ts';
import type { NodeSqliteHandles } from './node-sqlite-handles.ts';

/**
 * Kysely driver over node:sqlite. Connections are cheap leases; a transaction owns the writer
 * (through its lock) from BEGIN to COMMIT/ROLLBACK, so statements from concurrent requests never
 * land inside someone else's transaction.
 */
export class NodeSqliteDriver implements Driver {
  readonly #handles: NodeSqliteHandles;

  constructor(handles: NodeSqliteHandles) {
    this.#handles = handles;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new NodeSqliteConnection(this.#handles);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = asLease(connection);
    const release = await this.#handles.acquireWriter();
    // The safety level cannot change inside a transaction, so it is lowered before BEGIN and raised
    // again once the transaction ended (both under the writer lock: no other transaction sees it).
    const relaxed = diskFlushDeferred() && this.#handles.options.synchronous !== 'normal';
    try {
      if (relaxed) this.#handles.writer.db.exec('pragma synchronous = normal');
      this.#handles.beginWrite();
      lease.inTransaction = true;
      lease.releaseWriter = relaxed ? () => this.#restoreSynchronous(release) : release;
    } catch (error) {
      if (relaxed) this.#restoreSynchronous(release);
      else release();
      throw error;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.#endTransaction(asLease(connection), 'commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.#endTransaction(asLease(connection), 'rollback');
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(savepointQuery('savepoint', name, compile));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(savepointQuery('rollback to', name, compile));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(savepointQuery('release', name, compile));
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    this.#handles.close();
  }

  #restoreSynchronous(release: () => void): void {
    try {
      this.#handles.writer.db.exec('pragma synchronous = full');
    } finally {
      release();
    }
  }

  #endTransaction(lease: NodeSqliteConnection, command: 'commit' | 'rollback'): void {
    try {
      // SQLite rolls back by itself on some errors (e.g. SQLITE_FULL); a second ROLLBACK would throw.
      if (command === 'commit' || this.#handles.writer.db.isTransaction) this.#handles.writer.db.exec(command);
    } finally {
      if (!this.#handles.writer.db.isTransaction) {
        lease.inTransaction = false;
        lease.releaseWriter?.();
        lease.releaseWriter = undefined;
      }
    }
  }
}

function asLease(connection: DatabaseConnection): NodeSqliteConnection {
  if (!(connection instanceof NodeSqliteConnection)) throw new TypeError('Not a node:sqlite connection');
  return connection;
}

function savepointQuery(command: string, name: string, compile: QueryCompiler['compileQuery']): CompiledQuery {
  return compile(RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(name)]), createQueryId());
}
