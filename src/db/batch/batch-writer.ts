import type { Insertable } from 'kysely';
import { AiStackError, ValidationError } from '../../shared/errors.ts';
import type { Db } from '../db.ts';
import { translateDatabaseError } from '../errors.ts';
import type { DatabaseSchema } from '../schema.ts';
import { openRunner } from './runners.ts';

/** Bind-parameter ceilings: SQLite's SQLITE_MAX_VARIABLE_NUMBER (≥ 3.32) and PostgreSQL's 16-bit count. */
export const MAX_PARAMETERS = { sqlite: 32_766, postgres: 65_535 } as const;

export interface BatchProgress {
  rowsWritten: number;
  rowsTotal: number;
  chunksDone: number;
  chunksTotal: number;
}

export interface BatchWriteOptions {
  /**
   * Rows per INSERT statement, lowered automatically to fit the dialect's parameter limit.
   * Default 1000 on SQLite (measured best there) and 5000 on PostgreSQL (fewer round trips).
   */
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
  const chunkSize = Math.max(1, Math.min(options.chunkSize ?? (db.dialect === 'postgres' ? 5000 : 1000), maxRows));
  const chunksTotal = Math.ceil(rows.length / chunkSize);

  const statement = insertStatement(db.dialect, table, columns, options.onConflict);
  const parametersOf = (chunk: readonly unknown[]): unknown[] => {
    const parameters: unknown[] = [];
    for (const row of chunk) for (const column of columns) parameters.push((row as Record<string, unknown>)[column] ?? null);
    return parameters;
  };
  // SQL text is built once per chunk size and run as a prepared statement on one connection,
  // instead of compiling a Kysely AST of thousands of values per chunk (that was most of the cost).
  const runner = await openRunner(db);
  let committed = 0;
  let failure: { offset: number; rows: readonly unknown[]; error: unknown } | undefined;
  try {
    if (options.atomic) await runner.exec('begin');
    for (let chunkIndex = 0; chunkIndex < chunksTotal && !failure; chunkIndex++) {
      const start = chunkIndex * chunkSize;
      const chunk = rows.slice(start, start + chunkSize);
      try {
        if (!options.atomic) await runner.exec('begin');
        await runner.insert(statement(chunk.length), parametersOf(chunk));
        if (!options.atomic) await runner.exec('commit');
      } catch (error) {
        await runner.exec('rollback');
        failure = options.atomic ? { offset: 0, rows, error } : { offset: start, rows: chunk, error };
        break;
      }
      if (!options.atomic) committed += chunk.length;
      options.onProgress?.({ rowsWritten: start + chunk.length, rowsTotal: rows.length, chunksDone: chunkIndex + 1, chunksTotal });
    }
    if (options.atomic && !failure) {
      await runner.exec('commit');
      committed = rows.length;
    }
    if (failure) {
      // Replay the failed rows one by one in a transaction that is rolled back, to name the culprit.
      let rowIndex: number | undefined;
      let cause = failure.error;
      await runner.exec('begin');
      for (let i = 0; i < failure.rows.length; i++) {
        try {
          await runner.insert(statement(1), parametersOf([failure.rows[i]]));
        } catch (error) {
          rowIndex = failure.offset + i;
          cause = error;
          break;
        }
      }
      await runner.exec('rollback');
      throw failureError(failure.offset, failure.rows.length, rowIndex, committed, cause);
    }
  } finally {
    runner.release();
    if (committed > 0 || failure) db.writes.touch([table]);
  }
  return { rowsWritten: rows.length, chunks: chunksTotal };
}

function failureError(offset: number, size: number, rowIndex: number | undefined, committedRows: number, cause: unknown): BatchWriteError {
  const translated = translateDatabaseError(cause);
  const reason = translated instanceof Error ? translated.message : String(translated);
  const where = rowIndex === undefined ? `in rows ${offset}–${offset + size - 1}` : `at row ${rowIndex}`;
  return new BatchWriteError(`Batch insert failed ${where}: ${reason}`, { rowIndex, committedRows, cause: translated });
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `insert into t (a, b) values (?, ?), …` text for n rows, memoised per row count. */
function insertStatement(dialect: Db['dialect'], table: string, columns: readonly string[], conflict: BatchWriteOptions['onConflict']): (rows: number) => string {
  const names = [table, ...columns, ...(conflict?.columns ?? []), ...(conflict?.update ?? [])];
  const bad = names.find((name) => !IDENTIFIER.test(name));
  if (bad !== undefined) throw new ValidationError(`Not a plain identifier: ${JSON.stringify(bad.slice(0, 100))}`, [{ field: bad.slice(0, 100), message: 'must match [A-Za-z_][A-Za-z0-9_]*' }]);
  const quote = (name: string) => `"${name}"`;
  let suffix = '';
  if (conflict) {
    suffix = ` on conflict (${conflict.columns.map(quote).join(', ')}) `;
    suffix += conflict.update?.length ? `do update set ${conflict.update.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')}` : 'do nothing';
  }
  const head = `insert into ${quote(table)} (${columns.map(quote).join(', ')}) values `;
  const cache = new Map<number, string>();
  return (rows) => {
    let text = cache.get(rows);
    if (text === undefined) {
      const tuples: string[] = [];
      let n = 0;
      for (let r = 0; r < rows; r++) {
        tuples.push(`(${columns.map(() => (dialect === 'postgres' ? `$${++n}` : '?')).join(', ')})`);
      }
      text = head + tuples.join(', ') + suffix;
      cache.set(rows, text);
    }
    return text;
  };
}
