import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { LockTimeoutError, Mutex } from './mutex.ts';
import { StatementCache } from './statement-cache.ts';

export interface SqliteHandle {
  db: DatabaseSync;
  statements: StatementCache;
}

export interface NodeSqliteOptions {
  /** Path of the database file, or `:memory:`. Its directory is created when missing. */
  file: string;
  /** Read-only connections beside the writer (WAL readers). Forced to 0 for `:memory:`. Default 2. */
  readers?: number;
  /** How long a statement waits for another process's lock before SQLITE_BUSY. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** `full` (default): every commit fsyncs the WAL and survives power loss; `normal`: survives app crashes only. */
  synchronous?: 'full' | 'normal';
  /** Prepared statements kept per connection. Default 256. */
  statementCacheSize?: number;
  /** How long a caller waits for the writer before a timeout error. Default 30 000 ms. */
  acquireTimeoutMs?: number;
  /** Timing hooks (the pool monitor). */
  onAcquire?: (waitMs: number) => void;
  onRelease?: (holdMs: number) => void;
  /** Statement timing, called synchronously around each execution (cheaper than Kysely's async log hook). */
  onQuery?: (sql: string, parameters: readonly unknown[], durationMs: number, failed: boolean, endedAt: number) => void;
  /** A statement gave up on another connection's or process's lock (SQLITE_BUSY/LOCKED after busy_timeout). */
  onBusy?: () => void;
  /** Builds the error thrown when the writer is not free in time. */
  onTimeout?: (waitedMs: number, waiting: number) => Error;
  /**
   * Loadable extensions (paths) loaded into every connection, e.g. sqlite-vec. One that fails to load is
   * left out (see `extensionErrors`): callers probe for what they need and fall back.
   */
  extensions?: readonly string[];
}

/** The writer, its lock and the readers of one database file: the unit the driver and bulk loaders share. */
export class NodeSqliteHandles {
  readonly writer: SqliteHandle;
  readonly readers: SqliteHandle[];
  readonly writerLock = new Mutex();
  readonly file: string;
  readonly options: NodeSqliteOptions;
  /** Why an extension could not be loaded, by path (empty when all loaded). */
  readonly extensionErrors = new Map<string, string>();
  #nextReader = 0;

  constructor(options: NodeSqliteOptions) {
    this.file = options.file;
    this.options = options;
    const inMemory = options.file === ':memory:' || options.file === '';
    if (!inMemory) mkdirSync(dirname(options.file), { recursive: true });
    const busy = options.busyTimeoutMs ?? 5000;
    const cacheSize = options.statementCacheSize ?? 256;
    const extensions = options.extensions ?? [];
    const writer = new DatabaseSync(options.file, { timeout: busy, enableForeignKeyConstraints: true, allowExtension: extensions.length > 0 });
    this.#loadExtensions(writer, extensions);
    // WAL: readers never block the writer and vice versa. FULL makes a commit durable when it returns
    // (one WAL fsync each), as PostgreSQL's default does: an API that answered 201 must not lose the
    // row in a power cut. NORMAL is several times cheaper per commit and opt-in.
    const synchronous = options.synchronous === 'normal' ? 'normal' : 'full';
    writer.exec(`pragma journal_mode = wal; pragma synchronous = ${synchronous}; pragma foreign_keys = on;
      pragma busy_timeout = ${busy}; pragma temp_store = memory`);
    this.writer = { db: writer, statements: new StatementCache(writer, cacheSize) };
    const readerCount = inMemory ? 0 : Math.max(0, options.readers ?? 2);
    this.readers = Array.from({ length: readerCount }, () => {
      const db = new DatabaseSync(options.file, { timeout: busy, readOnly: true, allowExtension: extensions.length > 0 });
      this.#loadExtensions(
        db,
        extensions.filter((path) => !this.extensionErrors.has(path)),
      );
      db.exec(`pragma busy_timeout = ${busy}; pragma query_only = on`);
      return { db, statements: new StatementCache(db, cacheSize) };
    });
  }

  #loadExtensions(db: DatabaseSync, paths: readonly string[]): void {
    for (const path of paths) {
      try {
        db.loadExtension(path);
      } catch (error) {
        this.extensionErrors.set(path, (error as Error).message);
      }
    }
    // Loading stays possible only while the connection is being set up: SQL cannot load a library later.
    if (paths.length > 0) db.enableLoadExtension(false);
  }

  /**
   * BEGIN IMMEDIATE on the writer (whose in-process lock the caller holds): takes the file's write
   * lock now, so another process cannot make the transaction fail later with SQLITE_BUSY when it
   * upgrades from read to write. Failing to get it is counted like any lock give-up.
   */
  beginWrite(): void {
    try {
      this.writer.db.exec('begin immediate');
    } catch (error) {
      this.noteFailure(error);
      throw error;
    }
  }

  /** Called with every error a statement or BEGIN raised, to count lock give-ups. */
  noteFailure(error: unknown): void {
    const errcode = (error as { errcode?: unknown } | null)?.errcode;
    if (typeof errcode === 'number' && ((errcode & 0xff) === 5 || (errcode & 0xff) === 6)) this.options.onBusy?.();
  }

  /** Round-robin over readers; undefined when there are none and reads must use the writer. */
  nextReader(): SqliteHandle | undefined {
    if (this.readers.length === 0) return undefined;
    this.#nextReader = (this.#nextReader + 1) % this.readers.length;
    return this.readers[this.#nextReader];
  }

  /**
   * Runs `work` with exclusive use of the writer, for bulk paths that bypass Kysely (demo data,
   * batch writer) but must not interleave with a Kysely transaction.
   */
  async withWriter<T>(work: (writer: SqliteHandle) => Promise<T> | T): Promise<T> {
    const release = await this.acquireWriter();
    try {
      return await work(this.writer);
    } finally {
      release();
    }
  }

  /** Takes the writer lock (timed, bounded by acquireTimeoutMs); the returned function gives it back. */
  async acquireWriter(): Promise<() => void> {
    const started = performance.now();
    const timeout = this.options.acquireTimeoutMs ?? 30_000;
    try {
      await this.writerLock.lock(timeout);
    } catch (error) {
      if (error instanceof LockTimeoutError && this.options.onTimeout) throw this.options.onTimeout(performance.now() - started, this.writerLock.waiting);
      throw error;
    }
    const acquired = performance.now();
    this.options.onAcquire?.(acquired - started);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.options.onRelease?.(performance.now() - acquired);
      this.writerLock.unlock();
    };
  }

  close(): void {
    for (const handle of [...this.readers, this.writer]) {
      handle.statements.clear();
      if (handle.db.isOpen) handle.db.close();
    }
  }
}
