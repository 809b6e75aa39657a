import { EventEmitter } from 'node:events';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.ts';
import { CrossProcessWake } from './wake.ts';
import { onNextTurn } from './io-timers.ts';

export type SqlValue = SQLInputValue;

export interface StoreOptions {
  /** How long a write waits for another process's lock before failing (ms). */
  busyTimeoutMs?: number;
  /**
   * When a commit reaches the disk: `full` (default) fsyncs every commit, so an acknowledged add
   * survives a power cut; `normal` survives an application crash only, for much cheaper commits.
   */
  synchronous?: 'full' | 'normal';
}

/**
 * One SQLite connection per database file per process, shared by every queue, worker and flow
 * producer. node:sqlite is synchronous, so every operation of this backend is one short
 * transaction that cannot interleave with another inside the process; across processes SQLite's
 * file lock serialises writers (`BEGIN IMMEDIATE` + busy_timeout, so no upgrade deadlock).
 */
export class SqliteStore {
  readonly file: string;
  readonly db: DatabaseSync;
  /**
   * In-process wake-ups: `job:<queue>` when a job may be claimable, `event:<queue>` on new events,
   * `external` when another process committed something (see wake.ts).
   */
  readonly bus = new EventEmitter();
  /** Cross-process wake-ups through `<file>-wake`; undefined for `:memory:`. */
  readonly wake: CrossProcessWake | undefined;
  /** Set by a write that should wake waiters in other processes once it is committed. */
  private wakeOthers = false;
  private signals = new Set<string>();
  private afterFlush: Array<() => void> = [];
  /** The open (or last) batch commits with synchronous=NORMAL although the file is FULL. */
  private batchRelaxed = false;
  private readonly synchronous: 'full' | 'normal';
  /** Identifies this process's rows in the `clients` table. */
  readonly owner = `${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  private readonly statements = new Map<string, StatementSync>();
  private depth = 0;
  private batchOpen = false;
  /** Events of the running operation, `queue, fields` pairs, written in one INSERT when it ends. */
  private pendingEvents: SqlValue[] = [];
  private waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(file: string, opts: StoreOptions = {}) {
    this.file = file;
    this.db = new DatabaseSync(file);
    this.bus.setMaxListeners(0);
    if (file !== ':memory:') this.wake = new CrossProcessWake(file, () => this.bus.emit('external'));
    this.db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 10_000))}`);
    if (file !== ':memory:') this.db.exec('PRAGMA journal_mode = WAL');
    this.synchronous = opts.synchronous === 'normal' ? 'normal' : 'full';
    this.db.exec(`PRAGMA synchronous = ${this.synchronous.toUpperCase()}`);
    // Measured on the queue workload (bench/tasks/backends.ts): a 32 MB page cache and a checkpoint
    // every ~40 MB of WAL instead of ~4 MB cut CPU per job by about a fifth. The cache is an upper
    // bound, filled only as the database grows.
    this.db.exec('PRAGMA cache_size = -32768');
    this.db.exec('PRAGMA wal_autocheckpoint = 10000');
    this.db.exec('PRAGMA temp_store = MEMORY');
    this.db.exec('PRAGMA foreign_keys = OFF');
    this.tx(() => {
      this.db.exec(SCHEMA_SQL);
      this.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    });
  }

  private prepare(sql: string): StatementSync {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  one<T>(sql: string, ...params: SqlValue[]): T | undefined {
    return this.prepare(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: SqlValue[]): T[] {
    return this.prepare(sql).all(...params) as T[];
  }

  run(sql: string, ...params: SqlValue[]): number {
    return Number(this.prepare(sql).run(...params).changes);
  }

  /** Runs `fn` in one write transaction now; nested calls join the outer one. */
  tx<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    // A durable write cannot join a relaxed batch: commit that batch now.
    if (this.batchOpen && this.batchRelaxed) this.flush();
    if (this.batchOpen) return this.savepoint(fn);
    if (this.batchRelaxed) {
      this.prepare('PRAGMA synchronous = FULL').run();
      this.batchRelaxed = false;
    }
    this.db.exec('BEGIN IMMEDIATE');
    this.depth++;
    try {
      const result = fn();
      this.writeEvents();
      this.depth--;
      this.db.exec('COMMIT');
      this.committed();
      return result;
    } catch (error) {
      this.depth--;
      this.pendingEvents = [];
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * Group commit (`durable` false: the write may be lost on power loss without harm, e.g. a claim,
   * whose loss puts the job back to wait; a batch of such writes only commits without an fsync).
   * Runs `fn` at once inside a savepoint of the current batch transaction and
   * resolves after the batch commits, at the end of this event-loop turn. Every operation issued
   * in the same turn (a hundred workers finishing and fetching) shares one COMMIT, which is the
   * dominant cost of a small write; a failing operation rolls back only its own savepoint.
   */
  write<T>(fn: () => T, durable = true): Promise<T> {
    if (this.depth > 0) return Promise.resolve(fn());
    // A durable write never joins a batch that commits without an fsync: that batch commits now.
    if (this.batchOpen && this.batchRelaxed && durable) this.flush();
    if (!this.batchOpen) {
      // The level can only change between transactions: a batch is relaxed or not from its start.
      const relaxed = !durable && this.synchronous === 'full';
      if (relaxed !== this.batchRelaxed) this.prepare(`PRAGMA synchronous = ${relaxed ? 'NORMAL' : 'FULL'}`).run();
      this.batchRelaxed = relaxed;
      this.db.exec('BEGIN IMMEDIATE');
      this.batchOpen = true;
      onNextTurn(() => this.flush());
    }
    let result: T;
    try {
      result = this.savepoint(fn);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve: () => resolve(result), reject });
    });
  }

  /**
   * Like `write`, but never inside an already open batch: the write starts after that batch commits.
   * A claim uses it so that it cannot take a job whose add has not been acknowledged yet (on Redis
   * the add's reply comes first), so a worker's `active` never precedes the producer's `add()`.
   */
  writeAfterPending<T>(fn: () => T, durable = true): Promise<T> {
    if (!this.batchOpen || this.depth > 0) return this.write(fn, durable);
    return this.afterCurrentBatch(() => this.write(fn, durable));
  }

  private afterCurrentBatch<T>(then: () => Promise<T>): Promise<T> {
    return new Promise<void>((resolve) => this.afterFlush.push(resolve)).then(() => {
      // The message BullMQ recognises as a closed connection (it backs off instead of reporting it).
      if (!this.db.isOpen) throw new Error('Connection is closed.');
      return then();
    });
  }

  /** Commits the open batch and settles its operations. */
  flush(): void {
    if (!this.batchOpen) return;
    const waiters = this.waiters;
    this.waiters = [];
    const after = this.afterFlush;
    this.afterFlush = [];
    queueMicrotask(() =>
      onNextTurn(() => {
        for (const resume of after) resume();
      }),
    );
    this.batchOpen = false;
    try {
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      for (const waiter of waiters) waiter.reject(error);
      return;
    }
    this.committed();
    // One reply per turn, as replies from a server arrive: each caller's continuation (a Worker
    // announcing `active` and starting that job) runs before the next caller hears back. Resolved
    // together, ten claims of one batch announced ten `active` jobs before any of them was running
    // (and so before it could be cancelled). The microtasks between two immediates are drained.
    for (const waiter of waiters) onNextTurn(waiter.resolve);
  }

  /**
   * Wakes `channel`'s waiters in this process, and other processes' waiters, once the current write
   * is committed. Never before: a worker woken inside the batch that adds a job would claim it in
   * that same batch, and its `active` would come before the producer's `add()` returned.
   */
  signal(channel: string): void {
    this.signals.add(channel);
    this.wakeOthers = true;
    if (!this.db.isTransaction) this.committed();
  }

  private committed(): void {
    if (this.signals.size > 0) {
      const channels = this.signals;
      this.signals = new Set();
      for (const channel of channels) this.bus.emit(channel);
    }
    if (!this.wakeOthers) return;
    this.wakeOthers = false;
    this.wake?.notify();
  }

  private savepoint<T>(fn: () => T): T {
    // Prepared once: exec() would parse these two statements again for every operation.
    this.prepare('SAVEPOINT op').run();
    this.depth++;
    try {
      const result = fn();
      this.writeEvents();
      this.depth--;
      this.prepare('RELEASE op').run();
      return result;
    } catch (error) {
      this.depth--;
      this.pendingEvents = [];
      this.prepare('ROLLBACK TO op').run();
      this.prepare('RELEASE op').run();
      throw error;
    }
  }

  /**
   * Appends one row to the `events` log. Inside an operation the row is held and written with the
   * operation's other events in one multi-row INSERT when it ends (a completion plus the next claim's
   * `active` is one statement, not two); ids keep the order of the calls.
   */
  appendEvent(queue: string, fields: string): void {
    this.pendingEvents.push(queue, fields);
    if (this.depth === 0) this.writeEvents();
  }

  /** Writes the held events now: call before a statement that reads or deletes `events` rows. */
  writeEvents(): void {
    const params = this.pendingEvents;
    if (params.length === 0) return;
    this.pendingEvents = [];
    for (let start = 0; start < params.length; start += EVENT_ROWS_PER_INSERT * 2) {
      const chunk = params.slice(start, start + EVENT_ROWS_PER_INSERT * 2);
      this.run(eventInsertSql(chunk.length / 2), ...chunk);
    }
  }

  /** Reserves `n` consecutive values of a per-queue counter and returns the first. */
  reserve(queue: string, name: string, n = 1): number {
    const row = this.one<{ value: number }>(
      `INSERT INTO counters (queue, name, value) VALUES (?, ?, ?)
       ON CONFLICT (queue, name) DO UPDATE SET value = value + excluded.value RETURNING value`,
      queue,
      name,
      n,
    );
    return (row?.value ?? n) - n + 1;
  }

  close(): void {
    if (this.db.isOpen) this.flush();
    this.statements.clear();
    this.wake?.close();
    this.bus.emit('closed');
    this.bus.removeAllListeners();
    if (this.db.isOpen) this.db.close();
  }
}

const EVENT_ROWS_PER_INSERT = 32;
const eventInserts: string[] = [];
/** `INSERT INTO events` for `rows` rows; at most EVENT_ROWS_PER_INSERT shapes, each prepared once. */
function eventInsertSql(rows: number): string {
  return (eventInserts[rows] ??= `INSERT INTO events (queue, fields) VALUES ${Array.from({ length: rows }, () => '(?, ?)').join(', ')}`);
}

const openStores = new Map<string, SqliteStore>();

/** Returns this process's shared connection to `file`, opening it on first use. */
export function acquireStore(file: string, opts?: StoreOptions): SqliteStore {
  let store = openStores.get(file);
  if (!store || !store.db.isOpen) {
    store = new SqliteStore(file, opts);
    openStores.set(file, store);
  }
  return store;
}

/** Closes the shared connection to `file` now, whatever still uses it. */
export function closeStore(file: string): void {
  const store = openStores.get(file);
  if (!store) return;
  openStores.delete(file);
  store.close();
}
