import type { Insertable } from 'kysely';
import { AiStackError, ValidationError } from '../../shared/errors.ts';
import type { Db } from '../db.ts';
import { translateDatabaseError } from '../errors.ts';
import type { DatabaseSchema } from '../schema.ts';
import { insertStatement, type ConflictClause } from './insert-statement.ts';
import { writeChunksInOrder, type ChunkFailure } from './ordered-chunks.ts';
import { openRunner, type ChunkRunner } from './runners.ts';

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
   * Default 2000 on SQLite (measured best there: fewer commits, statements still small) and 5000 on
   * PostgreSQL (fewer round trips). Each chunk is one transaction unless `atomic`.
   */
  chunkSize?: number;
  /** UPSERT: conflict target columns, and the columns to overwrite (none → DO NOTHING). */
  onConflict?: ConflictClause;
  /** One transaction for the whole batch instead of one per chunk. */
  atomic?: boolean;
  /**
   * Connections that write chunks at the same time (commits stay in chunk order). Default 2 on
   * PostgreSQL, capped by the pool size; always 1 on SQLite and in `atomic` mode.
   */
  parallelism?: number;
  onProgress?: (progress: BatchProgress) => void;
}

/** A row of the batch failed: its position, how many rows were committed before it, and why. */
export class BatchWriteError extends AiStackError {
  readonly rowIndex: number | undefined;
  readonly committedRows: number;

  constructor(message: string, opts: { rowIndex: number | undefined; committedRows: number; cause: unknown }) {
    const status = opts.cause instanceof AiStackError ? opts.cause.status : 500;
    super(message, {
      code: 'batch_write_failed',
      status,
      cause: opts.cause,
      issues: opts.rowIndex === undefined ? [] : [{ field: `/${opts.rowIndex}`, message }],
    });
    this.rowIndex = opts.rowIndex;
    this.committedRows = opts.committedRows;
  }
}

type TableName = keyof DatabaseSchema;

/** Connections written in parallel by default: PostgreSQL runs chunks on two backends (the server,
 * not the client, is the bottleneck: measured 1.45× on two cores); SQLite has a single writer. */
const DEFAULT_PARALLELISM = { sqlite: 1, postgres: 2 } as const;

/**
 * Chunked multi-row INSERT (or UPSERT), each chunk in its own transaction (or all in one with
 * `atomic`). Chunks may run on several connections at once, but commit strictly in order, so the
 * committed rows are always a prefix of the batch. When a chunk fails it is rolled back whole and
 * retried row by row inside a transaction that is rolled back too, only to find the failing row's
 * position for the error.
 */
export async function batchInsert<T extends TableName>(
  db: Db,
  table: T,
  rows: readonly Insertable<DatabaseSchema[T]>[],
  options: BatchWriteOptions = {},
): Promise<{ rowsWritten: number; chunks: number }> {
  if (rows.length === 0) return { rowsWritten: 0, chunks: 0 };
  const columns = Object.keys(rows[0] as object);
  if (columns.length === 0) throw new ValidationError('Batch rows have no columns', [{ field: '/0', message: 'is empty' }]);
  assertSameColumns(rows, columns);
  for (const name of ['chunkSize', 'parallelism'] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 1))
      throw new ValidationError(`${name} must be a positive whole number`, [{ field: name, message: `got ${String(value).slice(0, 40)}` }]);
  }
  const maxRows = Math.max(1, Math.floor(MAX_PARAMETERS[db.dialect] / columns.length));
  const chunkSize = Math.max(1, Math.min(options.chunkSize ?? (db.dialect === 'postgres' ? 5000 : 2000), maxRows));
  const chunksTotal = Math.ceil(rows.length / chunkSize);
  // SQL text is built once per chunk size and run as a prepared statement on one connection,
  // instead of compiling a Kysely AST of thousands of values per chunk (that was most of the cost).
  const statement = insertStatement(db.dialect, table, columns, options.onConflict);
  const chunkOf = (index: number) => rows.slice(index * chunkSize, (index + 1) * chunkSize);
  const insertRows = (runner: ChunkRunner, chunk: readonly unknown[]) => {
    const parameters = new Array<unknown>(chunk.length * columns.length);
    let n = 0;
    for (const row of chunk) {
      for (const column of columns) {
        parameters[n] = runner.toParameter((row as Record<string, unknown>)[column], n);
        n++;
      }
    }
    return runner.insert(statement(chunk.length), parameters);
  };
  const progress = (index: number) =>
    options.onProgress?.({ rowsWritten: Math.min(rows.length, (index + 1) * chunkSize), rowsTotal: rows.length, chunksDone: index + 1, chunksTotal });

  const parallelism = options.atomic ? 1 : Math.min(options.parallelism ?? DEFAULT_PARALLELISM[db.dialect], chunksTotal, maxConnections(db));
  const runners: ChunkRunner[] = [];
  let committed = 0;
  let failure: ChunkFailure | undefined;
  try {
    for (let i = 0; i < parallelism; i++) runners.push(await openRunner(db));
    if (options.atomic) {
      failure = await writeAtomically(runners[0]!, chunksTotal, (index) => insertRows(runners[0]!, chunkOf(index)), progress);
      if (!failure) committed = rows.length;
    } else {
      const onCommitted = (index: number) => {
        committed += Math.min(chunkSize, rows.length - index * chunkSize);
        progress(index);
      };
      const write = (runner: ChunkRunner, index: number) => insertRows(runner, chunkOf(index));
      failure = await writeChunksInOrder(runners, chunksTotal, 0, write, onCommitted);
      // A parallel failure may be an artefact of two chunks colliding; one connection gives the verdict.
      if (failure && runners.length > 1) failure = await writeChunksInOrder(runners.slice(0, 1), chunksTotal, failure.index, write, onCommitted);
    }
    if (failure) {
      const failedRows = options.atomic ? rows : chunkOf(failure.index);
      const offset = options.atomic ? 0 : failure.index * chunkSize;
      throw failureError(offset, failedRows.length, await findFailingRow(runners[0]!, failedRows, insertRows), committed, failure.error);
    }
  } finally {
    for (const runner of runners) runner.release();
    if (committed > 0 || failure) db.writes.touch([table]);
  }
  return { rowsWritten: rows.length, chunks: chunksTotal };
}

/** One transaction around every chunk: all rows or none. */
async function writeAtomically(
  runner: ChunkRunner,
  count: number,
  write: (index: number) => Promise<void>,
  progress: (index: number) => void,
): Promise<ChunkFailure | undefined> {
  await runner.begin();
  for (let index = 0; index < count; index++) {
    try {
      await write(index);
    } catch (error) {
      await runner.exec('rollback');
      return { index: 0, error };
    }
    progress(index);
  }
  await runner.exec('commit');
  return undefined;
}

/** Replays rows one by one in a transaction that is rolled back, to name the culprit and its own error. */
async function findFailingRow(
  runner: ChunkRunner,
  rows: readonly unknown[],
  insertRows: (runner: ChunkRunner, rows: readonly unknown[]) => Promise<void>,
): Promise<{ index: number; error: unknown } | undefined> {
  await runner.begin();
  try {
    for (let index = 0; index < rows.length; index++) {
      try {
        await insertRows(runner, [rows[index]]);
      } catch (error) {
        return { index, error };
      }
    }
    return undefined;
  } finally {
    await runner.exec('rollback');
  }
}

function maxConnections(db: Db): number {
  return db.native.dialect === 'postgres' ? Math.max(1, db.native.pool.options.max ?? 10) : 1;
}

/** Every row must have exactly row 0's columns: a missing one would write NULL, an extra one would be dropped silently. */
function assertSameColumns(rows: readonly object[], columns: readonly string[]): void {
  for (let index = 1; index < rows.length; index++) {
    const row = rows[index]!;
    let same = Object.keys(row).length === columns.length;
    for (let c = 0; same && c < columns.length; c++) same = Object.hasOwn(row, columns[c]!);
    if (!same)
      throw new ValidationError(`Row ${index} has different columns from row 0`, [{ field: `/${index}`, message: `expected columns ${columns.join(', ')}` }]);
  }
}

function failureError(
  offset: number,
  size: number,
  culprit: { index: number; error: unknown } | undefined,
  committedRows: number,
  chunkError: unknown,
): BatchWriteError {
  const rowIndex = culprit === undefined ? undefined : offset + culprit.index;
  const translated = translateDatabaseError(culprit === undefined ? chunkError : culprit.error);
  const reason = translated instanceof Error ? translated.message : String(translated);
  const where = rowIndex === undefined ? `in rows ${offset}–${offset + size - 1}` : `at row ${rowIndex}`;
  return new BatchWriteError(`Batch insert failed ${where}: ${reason}`, { rowIndex, committedRows, cause: translated });
}
