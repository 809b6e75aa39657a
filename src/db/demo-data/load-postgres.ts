import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyText } from '../batch/index.ts';
import { DEMO_COLUMNS, DEMO_TABLES, type DemoChunk, type DemoRow, type DemoTable } from './tables.ts';

/**
 * Bulk load with COPY FROM STDIN, all in one transaction (a failure leaves nothing behind). On a
 * fresh load, foreign keys and non-unique indexes are dropped first and recreated at the end, the
 * way PostgreSQL's "Populating a Database" advises: one bulk validation beats a check per row.
 */
export async function loadIntoPostgres(pool: pg.Pool, chunks: Iterable<DemoChunk>, fresh: boolean, onChunk: (chunk: DemoChunk) => void): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query("set local synchronous_commit = off; set local maintenance_work_mem = '256MB'");
    const restore = fresh ? await dropForeignKeysAndIndexes(client) : [];
    for (const chunk of chunks) {
      for (const { table, rows } of chunk.tables) await copyRows(client, table, rows);
      onChunk(chunk);
    }
    for (const ddl of restore) await client.query(ddl);
    for (const table of DEMO_TABLES) {
      await client.query(`select setval(pg_get_serial_sequence($1, 'id'), coalesce((select max(id) from ${table}), 0) + 1, false)`, [table]);
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  await pool.query(`analyze ${DEMO_TABLES.join(', ')}`);
}

async function copyRows(client: pg.PoolClient, table: DemoTable, rows: DemoRow[]): Promise<void> {
  if (rows.length === 0) return;
  const stream = client.query(copyFrom(`copy ${table} (${DEMO_COLUMNS[table].join(', ')}) from stdin`));
  await pipeline(Readable.from(copyText(rows)), stream);
}

/** Drops FKs on, and non-unique indexes of, the demo tables; returns DDL to recreate them (indexes first). */
async function dropForeignKeysAndIndexes(client: pg.PoolClient): Promise<string[]> {
  const tables = DEMO_TABLES;
  const fks = await client.query<{ table_name: string; name: string; def: string }>(
    `select c.conrelid::regclass::text as table_name, c.conname as name, pg_get_constraintdef(c.oid) as def
       from pg_constraint c where c.contype = 'f' and c.conrelid = any(select to_regclass(t)::oid from unnest($1::text[]) t)`,
    [tables],
  );
  const indexes = await client.query<{ name: string; def: string }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
       from pg_index i where not i.indisunique and not i.indisprimary
        and i.indrelid = any(select to_regclass(t)::oid from unnest($1::text[]) t)`,
    [tables],
  );
  for (const fk of fks.rows) await client.query(`alter table ${fk.table_name} drop constraint "${fk.name}"`);
  for (const index of indexes.rows) await client.query(`drop index ${index.name}`);
  return [...indexes.rows.map((index) => index.def), ...fks.rows.map((fk) => `alter table ${fk.table_name} add constraint "${fk.name}" ${fk.def}`)];
}
