import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Db } from '../db.ts';
import { toSqliteParameters } from '../dialects/sqlite/index.ts';

/**
 * The batch writer's direct line to the driver: one connection (PostgreSQL) or the writer
 * (SQLite) held for the whole batch, plain transaction commands, and multi-row INSERTs as
 * prepared statements (named on PostgreSQL, so the server parses a chunk's SQL once).
 */
export interface ChunkRunner {
  exec(command: 'begin' | 'commit' | 'rollback'): Promise<void>;
  insert(sqlText: string, parameters: unknown[]): Promise<void>;
  release(): void;
}

export async function openRunner(db: Db): Promise<ChunkRunner> {
  const native = db.native;
  if (native.dialect === 'sqlite') {
    const release = await native.sqlite.acquireWriter();
    const writer = native.sqlite.writer;
    return {
      async exec(command) {
        if (command === 'begin') writer.db.exec('begin immediate');
        else if (writer.db.isTransaction) writer.db.exec(command);
      },
      async insert(sqlText, parameters) {
        writer.statements.get(sqlText).statement.run(...toSqliteParameters(parameters));
      },
      release,
    };
  }
  const client: pg.PoolClient = await native.pool.connect();
  return {
    async exec(command) {
      await client.query(command);
    },
    async insert(sqlText, parameters) {
      const name = `ai_stack_batch_${createHash('sha1').update(sqlText).digest('hex').slice(0, 20)}`;
      await client.query({ name, text: sqlText, values: parameters });
    },
    release: () => client.release(),
  };
}
