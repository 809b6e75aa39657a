import type { Insertable } from 'kysely';
import { AiStackError, ValidationError } from '../../shared/errors.ts';
import type { Db } from '../db.ts';
import { translateDatabaseError } from '../errors.ts';
import type { DatabaseSchema } from '../schema.ts';
import { copyRowsText } from './copy-text.ts';
import { copyStatement, insertStatement, type ConflictClause } from './insert-statement.ts';
import { writeChunksGrouped, writeChunksInOrder, type ChunkFailure } from './ordered-chunks.ts';
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
   * Default 2000 on SQLite (measured best there) and 5000 on PostgreSQL. A chunk is the unit that
   * is committed or rolled back whole; see `commitEveryMs` for how chunks share transactions.
   */
  chunkSize?: number;
  /**
   * On one connection (always on SQLite; PostgreSQL with `parallelism: 1`), consecutive chunks share
   * a transaction that commits once it has been open this long, and at the end: one durable commit
   * per interval instead of one per chunk. Each chunk has its own savepoint, so a failing chunk is
   * rolled back alone and the chunks before it still commit before the error is thrown. Default
   * 250 ms; 0 commits every chunk on its own. Parallel chunks always commit one by one (in order).
   */
  commitEveryMs?: number;
  /**
   * UPSERT: conflict target columns, and the columns to overwrite (none → DO NOTHING). Plain inserts
   * on PostgreSQL are loaded with COPY; upserts use INSERT … ON CONFLICT.
   */
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
const DEFAULT_COMMIT_EVERY_MS = 250;

/**
 * Chunked bulk insert: multi-row INSERT (or UPSERT) statements, or COPY FROM STDIN per chunk for
 * plain inserts on PostgreSQL. On one connection chunks are grouped into transactions committed
 * every `commitEveryMs`; on several, each chunk is a transaction (or all in one with `atomic`).
 * Commits happen strictly in chunk order, so the committed rows are always a prefix of the batch.
 * When a chunk fails it is rolled back whole and retried row by row (as INSERTs) inside a
 * transaction that is rolled back too, only to find the failing row's position for the error.
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
  const commitEveryMs = options.commitEveryMs ?? DEFAULT_COMMIT_EVERY_MS;
  if (!(typeof commitEveryMs === 'number' && Number.isFinite(commitEveryMs) && commitEveryMs >= 0))
    throw new ValidationError('commitEveryMs must be a finite number ≥ 0', [{ field: 'commitEveryMs', message: `got ${String(commitEveryMs).slice(0, 40)}` }]);
  const maxRows = Math.max(1, Math.floor(MAX_PARAMETERS[db.dialect] / columns.length));
  const chunkSize = Math.max(1, Math.min(options.chunkSize ?? (db.dialect === 'postgres' ? 5000 : 2000), maxRows));
  const chunksTotal = Math.ceil(rows.length / chunkSize);
  // SQL text is built once per chunk size and run as a prepared statement on one connection,
  // instead of compiling a Kysely AST of thousands of values per chunk (that was most of the cost).
  const statement = insertStatement(db.dialect, table, columns, options.onConflict);
  // COPY parses rows far cheaper than bind parameters; it has no ON CONFLICT, so upserts stay INSERTs.
  const copySql = db.dialect === 'postgres' && !options.onConflict ? copyStatement(table, columns) : undefined;
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
  const writeChunk = (runner: ChunkRunner, chunk: readonly unknown[]) => {
    if (copySql === undefined) return insertRows(runner, chunk);
    // The raw values only feed the slow-query log's parameter sample; nothing is built without a log.
    const sample = db.timing.onQuery === undefined ? [] : chunk.flatMap((row) => columns.map((column) => (row as Record<string, unknown>)[column]));
    return runner.copy(copySql, copyRowsText(chunk, columns), sample);
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
      failure = await writeAtomically(runners[0]!, chunksTotal, (index) => writeChunk(runners[0]!, chunkOf(index)), progress);
      if (!failure) committed = rows.length;
    } else {
      const onCommitted = (index: number) => {
        committed += Math.min(chunkSize, rows.length - index * chunkSize);
        progress(index);
      };
      const write = (runner: ChunkRunner, index: number) => writeChunk(runner, chunkOf(index));
      const serial = (first: number) => writeChunksGrouped(runners[0]!, chunksTotal, first, write, onCommitted, commitEveryMs);
      if (runners.length === 1) failure = await serial(0);
      else {
        failure = await writeChunksInOrder(runners, chunksTotal, 0, write, onCommitted);
        // A parallel failure may be an artefact of two chunks colliding; one connection gives the verdict.
        if (failure) failure = await serial(failure.index);
      }
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
  // The INSERT replay found no culprit (it should, the text is the same): COPY's context may still name the line.
  const line = culprit === undefined ? copyLine(chunkError) : culprit.index;
  const rowIndex = line === undefined ? undefined : offset + line;
  const translated = translateDatabaseError(culprit === undefined ? chunkError : culprit.error);
  const reason = translated instanceof Error ? translated.message : String(translated);
  const where = rowIndex === undefined ? `in rows ${offset}–${offset + size - 1}` : `at row ${rowIndex}`;
  return new BatchWriteError(`Batch insert failed ${where}: ${reason}`, { rowIndex, committedRows, cause: translated });
}

/** The 0-based row a COPY error's context (`COPY t, line N`) points at, if it is one. */
function copyLine(error: unknown): number | undefined {
  const where = (error as { where?: unknown } | null)?.where;
  const line = typeof where === 'string' ? /\bCOPY \S+, line (\d+)/.exec(where)?.[1] : undefined;
  return line === undefined ? undefined : Number(line) - 1;
}
