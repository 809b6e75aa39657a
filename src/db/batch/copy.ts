import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { ValidationError } from '../../shared/errors.ts';
import type { Db } from '../db.ts';
import { copyText, type CopyValue } from './copy-text.ts';
import { translateDatabaseError } from '../errors.ts';
import { batchInsert, BatchWriteError } from './batch-writer.ts';
import type { DatabaseSchema } from '../schema.ts';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Bulk load through PostgreSQL COPY FROM STDIN (one statement, one transaction). On SQLite, which
 * has no COPY, it falls back to the batch writer in one atomic transaction.
 */
export async function copyRows(
  db: Db,
  table: keyof DatabaseSchema,
  columns: readonly string[],
  rows: readonly (readonly CopyValue[])[],
): Promise<{ rowsWritten: number }> {
  for (const name of [table, ...columns]) {
    if (!IDENTIFIER.test(name))
      throw new ValidationError(`Not a plain identifier: ${JSON.stringify(name)}`, [{ field: 'columns', message: 'must be [a-z_][a-z0-9_]*' }]);
  }
  rows.forEach((row, index) => {
    if (!Array.isArray(row) || row.length !== columns.length)
      throw new ValidationError(`Row ${index} must have one value per column (${columns.length})`, [{ field: `/${index}`, message: 'wrong number of values' }]);
    const column = row.findIndex((value) => !(value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))));
    if (column >= 0)
      throw new ValidationError(`Row ${index}, column ${columns[column]}: COPY takes strings, finite numbers and null`, [
        { field: `/${index}/${column}`, message: `unsupported value of type ${typeof row[column]}` },
      ]);
  });
  if (db.native.dialect === 'sqlite') {
    const objects = rows.map((row) => Object.fromEntries(columns.map((column, i) => [column, row[i]])));
    await batchInsert(db, table, objects as never, { atomic: true });
    return { rowsWritten: rows.length };
  }
  const client = await db.native.pool.connect();
  try {
    await pipeline(Readable.from(copyText(rows)), client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`)));
  } catch (error) {
    throw copyFailure(error);
  } finally {
    client.release();
  }
  db.writes.touch([table]);
  return { rowsWritten: rows.length };
}

/** COPY is one statement: a bad row fails all of it. PostgreSQL names the row as "COPY t, line N" in the error's context. */
function copyFailure(error: unknown): BatchWriteError {
  const where = (error as { where?: unknown }).where;
  const line = typeof where === 'string' ? /\bCOPY \w+, line (\d+)/.exec(where)?.[1] : undefined;
  const rowIndex = line === undefined ? undefined : Number(line) - 1;
  const translated = translateDatabaseError(error);
  const reason = translated instanceof Error ? translated.message : String(translated);
  return new BatchWriteError(`COPY failed${rowIndex === undefined ? '' : ` at row ${rowIndex}`}: ${reason}`, { rowIndex, committedRows: 0, cause: translated });
}
