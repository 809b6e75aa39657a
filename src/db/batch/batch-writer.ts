import type { Insertable, Kysely, Transaction } from 'kysely';
import { AiStackError, ValidationError } from '../../shared/errors.ts';
import type { Db } from '../db.ts';
import { translateDatabaseError } from '../errors.ts';
import type { DatabaseSchema } from '../schema.ts';

/** Bind-parameter ceilings: SQLite's SQLITE_MAX_VARIABLE_NUMBER (≥ 3.32) and PostgreSQL's 16-bit count. */
export const MAX_PARAMETERS = { sqlite: 32_766, postgres: 65_535 } as const;

export interface BatchProgress {
  rowsWritten: number;
  rowsTotal: number;
  chunksDone: number;
  chunksTotal: number;
}

export interface BatchWriteOptions {
  /** Rows per INSERT statement; lowered automatically to fit the dialect's parameter limit. Default 1000. */
  chunkSize?: number;
  /** UPSERT: conflict target columns, and the columns to overwrite (none → DO NOTHING). */
  onConflict?: { columns: readonly string[]; update?: readonly string[] };
  /** One transaction for the whole batch instead of one per chunk. */
  atomic?: boolean;
  onProgress?: (progress: BatchProgress) => void;
}

/** A row of the batch failed: its position, how many rows were committed before it, and why. */
export class BatchWriteError extends AiStackError {
  readonly rowIndex: number | undefined;
  readonly committedRows: number;

  constructor(message: string, opts: { rowIndex: number | undefined; committedRows: number; cause: unknown }) {
    const status = opts.cause instanceof AiStackError ? opts.cause.status : 500;
    super(message, { code: 'batch_write_failed', status, cause: opts.cause, issues: opts.rowIndex === undefined ? [] : [{ field: `/${opts.rowIndex}`, message }] });
    this.rowIndex = opts.rowIndex;
    this.committedRows = opts.committedRows;
  }
}

type TableName = keyof DatabaseSchema;

/**
 * Chunked multi-row INSERT (or UPSERT), each chunk in its own transaction (or all in one with
 * `atomic`). When a chunk fails it is rolled back whole and retried row by row inside a transaction
 * that is rolled back too, only to find the failing row's position for the error.
 */
export async function batchInsert<T extends TableName>(db: Db, table: T, rows: readonly Insertable<DatabaseSchema[T]>[], options: BatchWriteOptions = {}): Promise<{ rowsWritten: number; chunks: number }> {
  if (rows.length === 0) return { rowsWritten: 0, chunks: 0 };
  const columns = Object.keys(rows[0] as object);
  if (columns.length === 0) throw new ValidationError('Batch rows have no columns', [{ field: '/0', message: 'is empty' }]);
  rows.forEach((row, index) => {
    const keys = Object.keys(row);
    if (keys.length !== columns.length || keys.some((key) => !columns.includes(key))) {
      throw new ValidationError(`Row ${index} has different columns from row 0`, [{ field: `/${index}`, message: `expected columns ${columns.join(', ')}` }]);
    }
  });
  const maxRows = Math.max(1, Math.floor(MAX_PARAMETERS[db.dialect] / columns.length));
  const chunkSize = Math.max(1, Math.min(options.chunkSize ?? 1000, maxRows));
  const chunksTotal = Math.ceil(rows.length / chunkSize);
  let committed = 0;

  const writeChunk = async (executor: Kysely<DatabaseSchema> | Transaction<DatabaseSchema>, chunk: readonly Insertable<DatabaseSchema[T]>[]): Promise<void> => {
    const insert = executor.insertInto(table).values(chunk);
    const conflict = options.onConflict;
    if (!conflict) return void (await insert.execute());
    await insert
      .onConflict((oc) => {
        const target = oc.columns(conflict.columns as never);
        if (!conflict.update?.length) return target.doNothing();
        return target.doUpdateSet(Object.fromEntries(conflict.update.map((column) => [column, (eb: { ref(c: string): unknown }) => eb.ref(`excluded.${column}`)])) as never);
      })
      .execute();
  };

  const run = async (executor: Kysely<DatabaseSchema> | Transaction<DatabaseSchema>, inTransaction: boolean): Promise<void> => {
    for (let chunkIndex = 0; chunkIndex < chunksTotal; chunkIndex++) {
      const start = chunkIndex * chunkSize;
      const chunk = rows.slice(start, start + chunkSize);
      try {
        if (inTransaction) await writeChunk(executor, chunk);
        else await db.kysely.transaction().execute((trx) => writeChunk(trx, chunk));
      } catch (error) {
        if (inTransaction) throw error;
        throw await explainFailure(db, start, chunk, committed, error, writeChunk);
      }
      if (!inTransaction) committed += chunk.length;
      options.onProgress?.({ rowsWritten: start + chunk.length, rowsTotal: rows.length, chunksDone: chunkIndex + 1, chunksTotal });
    }
  };

  if (options.atomic) {
    try {
      await db.kysely.transaction().execute((trx) => run(trx, true));
    } catch (error) {
      throw await explainFailure(db, 0, rows, 0, error, writeChunk);
    }
  } else {
    await run(db.kysely, false);
  }
  return { rowsWritten: rows.length, chunks: chunksTotal };
}

/** Finds the first failing row of a failed chunk by replaying it row by row in a rolled-back transaction. */
async function explainFailure<R>(
  db: Db, offset: number, chunk: readonly R[], committedRows: number, original: unknown,
  writeChunk: (executor: Transaction<DatabaseSchema>, rows: readonly R[]) => Promise<void>,
): Promise<BatchWriteError> {
  if (original instanceof BatchWriteError) return original;
  let rowIndex: number | undefined;
  let cause: unknown = original;
  const rollback = new Error('rollback');
  await db.kysely.transaction().execute(async (trx) => {
    for (let i = 0; i < chunk.length; i++) {
      try {
        await writeChunk(trx, chunk.slice(i, i + 1));
      } catch (error) {
        rowIndex = offset + i;
        cause = error;
        break;
      }
    }
    throw rollback;
  }).catch((error: unknown) => {
    if (error !== rollback) cause = error;
  });
  const translated = translateDatabaseError(cause);
  const reason = translated instanceof Error ? translated.message : String(translated);
  const where = rowIndex === undefined ? `in rows ${offset}–${offset + chunk.length - 1}` : `at row ${rowIndex}`;
  return new BatchWriteError(`Batch insert failed ${where}: ${reason}`, { rowIndex, committedRows, cause: translated });
}
