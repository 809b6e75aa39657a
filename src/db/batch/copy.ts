import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { ValidationError } from '../../shared/errors.ts';
import type { Db } from '../db.ts';
import { copyText } from '../demo-data/load-postgres.ts';
import type { DemoValue } from '../demo-data/tables.ts';
import { batchInsert } from './batch-writer.ts';
import type { DatabaseSchema } from '../schema.ts';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Bulk load through PostgreSQL COPY FROM STDIN (one statement, one transaction). On SQLite, which
 * has no COPY, it falls back to the batch writer in one atomic transaction.
 */
export async function copyRows(db: Db, table: keyof DatabaseSchema, columns: readonly string[], rows: readonly (readonly DemoValue[])[]): Promise<{ rowsWritten: number }> {
  for (const name of [table, ...columns]) {
    if (!IDENTIFIER.test(name)) throw new ValidationError(`Not a plain identifier: ${JSON.stringify(name)}`, [{ field: 'columns', message: 'must be [a-z_][a-z0-9_]*' }]);
  }
  if (rows.some((row) => row.length !== columns.length)) throw new ValidationError('Every row must have one value per column');
  if (db.native.dialect === 'sqlite') {
    const objects = rows.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i]])));
    await batchInsert(db, table, objects as never, { atomic: true });
    return { rowsWritten: rows.length };
  }
  const client = await db.native.pool.connect();
  try {
    await pipeline(Readable.from(copyText(rows as DemoValue[][])), client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`)));
  } finally {
    client.release();
  }
  db.writes.touch([table]);
  return { rowsWritten: rows.length };
}
