import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Db } from '../db.ts';
import { toSqliteValue } from '../dialects/sqlite/index.ts';
import { timedStatement } from '../timed-statement.ts';

/**
 * The batch writer's direct line to the driver: one connection (PostgreSQL) or the writer
 * (SQLite) held for the whole batch, plain transaction commands, and multi-row INSERTs as
 * prepared statements (named on PostgreSQL, so the server parses a chunk's SQL once).
 * Each INSERT goes through the drivers' statement hook (the slow-query log), like every Kysely statement.
 */
export interface ChunkRunner {
  /** Opens a transaction; with `lockTimeoutMs`, a statement that waits longer for a row lock fails. */
  begin(lockTimeoutMs?: number): Promise<void>;
  /** `rollback` never throws: it is only used to abandon work, and a dead connection has abandoned it already. */
  exec(command: 'commit' | 'rollback'): Promise<void>;
  /** The driver's form of one bound value; throws a TypeError for a value the driver cannot bind. */
  toParameter(value: unknown, index: number): unknown;
  insert(sqlText: string, parameters: unknown[]): Promise<void>;
  release(): void;
}

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
      toParameter: toSqliteValue,
      async insert(sqlText, parameters) {
        const statement = writer.statements.get(sqlText).statement;
        await timedStatement(db.timing.onQuery, sqlText, parameters, () => statement.run(...(parameters as Parameters<typeof statement.run>)));
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
    toParameter: (value) => value,
    async insert(sqlText, parameters) {
      // One name per statement text, hashed once per batch (a 5 000-row chunk's SQL is ~100 KB).
      let name = names.get(sqlText);
      if (name === undefined) names.set(sqlText, (name = `ai_stack_batch_${createHash('sha1').update(sqlText).digest('hex').slice(0, 20)}`));
      const prepared = { name, text: sqlText, values: parameters };
      await timedStatement(db.timing.onQuery, sqlText, parameters, () => client.query(prepared));
    },
    release: () => client.release(broken),
  };
}
