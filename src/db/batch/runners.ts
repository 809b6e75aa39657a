import { createHash } from 'node:crypto';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db } from '../db.ts';
import { toSqliteValue } from '../dialects/sqlite/index.ts';
import { timedStatement } from '../timed-statement.ts';

/**
 * The batch writer's direct line to the driver: one connection (PostgreSQL) or the writer
 * (SQLite) held for the whole batch, plain transaction commands, savepoints, and multi-row INSERTs
 * as prepared statements (named on PostgreSQL, so the server parses a chunk's SQL once), or COPY
 * on PostgreSQL. Each chunk goes through the drivers' statement hook (the slow-query log), like
 * every Kysely statement.
 */
export interface ChunkRunner {
  /** Opens a transaction; with `lockTimeoutMs`, a statement that waits longer for a row lock fails. */
  begin(lockTimeoutMs?: number): Promise<void>;
  /** `rollback` never throws: it is only used to abandon work, and a dead connection has abandoned it already. */
  exec(command: 'commit' | 'rollback'): Promise<void>;
  /** Marks the start of a chunk inside the open transaction. */
  savepoint(): Promise<void>;
  /** Forgets the chunk's savepoint (its rows stay in the transaction). */
  releaseSavepoint(): Promise<void>;
  /**
   * Undoes the chunk back to its savepoint; false when the transaction itself is gone (SQLite ends
   * it by itself on some errors, such as a full disk), so nothing written in it survives.
   */
  rollbackToSavepoint(): Promise<boolean>;
  /** The driver's form of one bound value; throws a TypeError for a value the driver cannot bind. */
  toParameter(value: unknown, index: number): unknown;
  insert(sqlText: string, parameters: unknown[]): Promise<void>;
  /** PostgreSQL only: COPY FROM STDIN of ready COPY text; `parameters` are the raw values, for the slow-query log's sample. */
  copy(sqlText: string, text: string, parameters: readonly unknown[]): Promise<void>;
  release(): void;
}

const SAVEPOINT = 'ai_stack_batch_chunk';

export async function openRunner(db: Db): Promise<ChunkRunner> {
  const native = db.native;
  if (native.dialect === 'sqlite') {
    const release = await native.sqlite.acquireWriter();
    const writer = native.sqlite.writer;
    return {
      // One writer, so no lock waits between chunks: the lock timeout has nothing to bound.
      async begin() {
        native.sqlite.beginWrite();
      },
      async exec(command) {
        if (writer.db.isTransaction) writer.db.exec(command);
      },
      async savepoint() {
        writer.db.exec(`savepoint ${SAVEPOINT}`);
      },
      async releaseSavepoint() {
        writer.db.exec(`release ${SAVEPOINT}`);
      },
      async rollbackToSavepoint() {
        if (!writer.db.isTransaction) return false;
        try {
          writer.db.exec(`rollback to ${SAVEPOINT}; release ${SAVEPOINT}`);
          return true;
        } catch {
          return false;
        }
      },
      toParameter: toSqliteValue,
      async insert(sqlText, parameters) {
        const statement = writer.statements.get(sqlText).statement;
        await timedStatement(db.timing.onQuery, sqlText, parameters, () => statement.run(...(parameters as Parameters<typeof statement.run>)));
      },
      copy() {
        return Promise.reject(new TypeError('SQLite has no COPY'));
      },
      release,
    };
  }
  const client: pg.PoolClient = await native.pool.connect();
  // A rollback that fails means the connection is gone: the transaction died with it, and the
  // client is destroyed on release instead of going back to the pool.
  let broken = false;
  const names = new Map<string, string>();
  return {
    async begin(lockTimeoutMs) {
      await client.query(lockTimeoutMs === undefined ? 'begin' : `begin; set local lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
    },
    async exec(command) {
      if (command !== 'rollback') return void (await client.query(command));
      try {
        await client.query(command);
      } catch {
        broken = true;
      }
    },
    async savepoint() {
      await client.query(`savepoint ${SAVEPOINT}`);
    },
    async releaseSavepoint() {
      await client.query(`release savepoint ${SAVEPOINT}`);
    },
    async rollbackToSavepoint() {
      try {
        await client.query(`rollback to savepoint ${SAVEPOINT}; release savepoint ${SAVEPOINT}`);
        return true;
      } catch {
        return false;
      }
    },
    toParameter: (value) => value,
    async insert(sqlText, parameters) {
      // One name per statement text, hashed once per batch (a 5 000-row chunk's SQL is ~100 KB).
      let name = names.get(sqlText);
      if (name === undefined) names.set(sqlText, (name = `ai_stack_batch_${createHash('sha1').update(sqlText).digest('hex').slice(0, 20)}`));
      const prepared = { name, text: sqlText, values: parameters };
      await timedStatement(db.timing.onQuery, sqlText, parameters, () => client.query(prepared));
    },
    copy(sqlText, text, parameters) {
      // The chunk is one write, hence one CopyData message, which the server reads whole before it
      // parses a row: it cannot reject a row while pg-copy-streams is still sending.
      return timedStatement(
        db.timing.onQuery,
        sqlText,
        parameters,
        () =>
          new Promise<void>((resolve, reject) => {
            const stream = client.query(copyFrom(sqlText));
            stream.on('error', reject);
            stream.on('finish', resolve);
            stream.end(text);
          }),
      );
    },
    release: () => client.release(broken),
  };
}
