import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import { SelectQueryNode } from 'kysely';
import type { SQLInputValue } from 'node:sqlite';
import { fairTurn } from './fair-turns.ts';
import type { SqliteHandle } from './node-sqlite-handles.ts';
import type { NodeSqliteHandles } from './node-sqlite-handles.ts';

/** Raw SQL that can safely run on a read-only connection. `WITH` is left out: SQLite allows `WITH … INSERT`. */
const READ_ONLY_RAW_SQL = /^\s*(select|explain|values)\b/i;

/**
 * One lease handed to Kysely. Outside a transaction it routes each statement: SELECTs to a reader
 * (WAL lets them run while a write transaction is open), everything else to the single writer under
 * its lock. Inside a transaction it stays on the writer, which the driver locked for it.
 */
export class NodeSqliteConnection implements DatabaseConnection {
  readonly #handles: NodeSqliteHandles;
  inTransaction = false;
  /** Gives the writer back; set while this lease holds it for a transaction. */
  releaseWriter: (() => void) | undefined;

  constructor(handles: NodeSqliteHandles) {
    this.#handles = handles;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    await fairTurn();
    if (this.inTransaction) return this.#timed<R>(this.#handles.writer, compiledQuery);
    if (isRead(compiledQuery)) {
      const reader = this.#handles.nextReader();
      if (reader) return this.#timed<R>(reader, compiledQuery);
    }
    const release = await this.#handles.acquireWriter();
    try {
      return this.#timed<R>(this.#handles.writer, compiledQuery);
    } finally {
      release();
    }
  }

  #timed<R>(handle: SqliteHandle, query: CompiledQuery): QueryResult<R> {
    const onQuery = this.#handles.options.onQuery;
    if (!onQuery) {
      try {
        return runOn<R>(handle, query);
      } catch (error) {
        this.#handles.noteFailure(error);
        throw error;
      }
    }
    const started = performance.now();
    let result: QueryResult<R>;
    try {
      result = runOn<R>(handle, query);
    } catch (error) {
      const ended = performance.now();
      onQuery(query.sql, query.parameters, ended - started, true, ended);
      this.#handles.noteFailure(error);
      throw error;
    }
    const ended = performance.now();
    onQuery(query.sql, query.parameters, ended - started, false, ended);
    return result;
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!SelectQueryNode.is(compiledQuery.query)) {
      throw new Error('The SQLite driver streams SELECT queries only');
    }
    const handle = this.inTransaction ? this.#handles.writer : (this.#handles.nextReader() ?? this.#handles.writer);
    // A fresh statement, not the cached one: the iterator stays open across awaits, and another
    // query with the same SQL on this connection would otherwise reset it mid-stream.
    const statement = handle.db.prepare(compiledQuery.sql);
    for (const row of statement.iterate(...toSqliteParameters(compiledQuery.parameters))) {
      yield { rows: [row as R] };
    }
  }
}

function isRead(query: CompiledQuery): boolean {
  if (SelectQueryNode.is(query.query)) return true;
  return query.query.kind === 'RawNode' && READ_ONLY_RAW_SQL.test(query.sql);
}

function runOn<R>(handle: SqliteHandle, query: CompiledQuery): QueryResult<R> {
  const { statement, returnsRows } = handle.statements.get(query.sql);
  const parameters = toSqliteParameters(query.parameters);
  if (returnsRows) return { rows: statement.all(...parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(...parameters);
  return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
}

/** node:sqlite binds only null, numbers, bigints, strings and bytes; map the other JS values we allow. */
export function toSqliteParameters(parameters: readonly unknown[]): SQLInputValue[] {
  return parameters.map(toSqliteValue);
}

/** One bound value in node:sqlite's terms; `index` (0-based) only names the parameter in the error. */
export function toSqliteValue(value: unknown, index: number): SQLInputValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'number':
    case 'bigint':
    case 'string':
      return value;
    case 'boolean':
      return value ? 1 : 0;
    default:
      if (value instanceof Uint8Array) return value;
      if (value instanceof Date) return value.toISOString();
      throw new TypeError(`SQLite parameter $${index + 1} has unsupported type ${typeof value}`);
  }
}
