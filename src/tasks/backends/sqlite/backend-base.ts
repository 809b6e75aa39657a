// Built against bullmq 6.7.0 (package.json pins it exactly): see backend.ts.
import { EventEmitter } from 'node:events';
import { ConnectionClosedError, type QueueBaseOptions, type StreamReadRaw } from 'bullmq';
import { waitForSignal } from './blocking.ts';
import { nextDelayedAt, readFlags } from './claim.ts';
import { settingsFrom, type QueueCtx } from './context.ts';
import { emitEvent, eventsAfter, lastEventId, trimEventLog } from './events.ts';
import type { SqliteStore } from './store.ts';
import { nextTurn } from './io-timers.ts';

export interface BackendIdentity {
  name: string;
  prefix: string;
  /** Name under which this instance shows in `getWorkers()` / `getQueueEvents()`, if any. */
  clientName?: string;
  pollIntervalMs: number;
}

/** With cross-process wake-ups working, polling is only a safety net against a lost notification. */
const SAFETY_POLL_MS = 1_000;
let instances = 0;

/** Clients not seen for this long are gone (their process died without closing). */
export const CLIENT_TTL_MS = 30_000;

/**
 * Connection, identity, event stream and blocking wait of the SQLite IQueueBackend; the queries
 * live in backend-queries.ts and the state changes in backend.ts (one class, split by concern).
 */
export class SqliteBackendBase extends EventEmitter {
  readonly qualifiedName: string;
  readonly keys = {};
  readonly minimumBlockTimeout = 0.001;
  readonly maximumBlockTimeout = 10;
  closing: Promise<void> | undefined;
  protected readonly ctx: QueueCtx;
  protected readonly identity: BackendIdentity;
  protected readonly opts: QueueBaseOptions & Record<string, unknown>;
  protected cancelWait: (() => void) | undefined;
  protected cancelEventWait: (() => void) | undefined;
  protected blockingDisconnected = false;
  protected lastSeenWrite = 0;
  protected startCursor: number | undefined;
  private ready: Promise<void> | undefined;
  /** This instance's row key in `clients`: two Workers with the same name in one process are two clients, as on Redis. */
  private readonly clientOwner: string;

  constructor(store: SqliteStore, opts: QueueBaseOptions, identity: BackendIdentity) {
    super();
    this.identity = identity;
    this.opts = opts as QueueBaseOptions & Record<string, unknown>;
    this.qualifiedName = `${identity.prefix}:${identity.name}`;
    this.ctx = { store, queue: this.qualifiedName, settings: settingsFrom(this.opts) };
    this.clientOwner = `${store.owner}:${(++instances).toString(36)}`;
  }

  protected get store(): SqliteStore {
    return this.ctx.store;
  }

  /** One write, group-committed with the others of this event-loop turn; fails like a closed Redis connection once the file is closed. */
  protected tx<T>(fn: () => T): Promise<T> {
    if (!this.store.db.isOpen) return Promise.reject(new ConnectionClosedError());
    return this.store.write(fn);
  }

  /**
   * A query of the public API (getState, getJob, counts, ranges…): runs now, answers on a later turn
   * of the event loop, as a server's reply does. Code that awaits a query therefore lets the work
   * already under way in the process (a Worker starting the job it just announced as `active`) go
   * first, as on Redis; an answer in the same turn let a test cancel a job before its worker
   * tracked it.
   */
  protected async reply<T>(fn: () => T): Promise<T> {
    const result = this.read(fn);
    await nextTurn();
    return result;
  }

  protected read<T>(fn: () => T): T {
    if (!this.store.db.isOpen) throw new ConnectionClosedError();
    return fn();
  }

  // ---- lifecycle and identity ----
  /** BullMQ's Worker calls this for every job, so only the first call registers the client. */
  async waitUntilReady(): Promise<void> {
    if (this.identity.clientName && this.lastSeenWrite === 0) this.touchClient(true);
    // A Redis connection becomes ready on a later turn of the event loop, by which time a Worker
    // built with autorun has started its lock manager and stalled checker; a backend that was ready
    // at once let `await worker.waitUntilReady()` return before those ran. Later calls (the Worker
    // makes one per job) find the promise settled.
    await (this.ready ??= nextTurn());
  }

  async close(_force?: boolean): Promise<void> {
    this.closing ??= (async () => {
      this.cancelWait?.();
      this.cancelEventWait?.();
      if (this.identity.clientName && this.store.db.isOpen) {
        this.store.run('DELETE FROM clients WHERE owner = ? AND name = ?', this.clientOwner, this.identity.clientName);
      }
      this.emit('close');
    })();
    return this.closing;
  }

  async disconnect(): Promise<void> {
    this.cancelWait?.();
    this.cancelEventWait?.();
  }

  async setName(name: string): Promise<void> {
    this.identity.clientName = name;
    this.touchClient(true);
  }

  protected touchClient(force = false): void {
    const name = this.identity.clientName;
    const now = Date.now();
    if (!name || !this.store.db.isOpen || (!force && now - this.lastSeenWrite < CLIENT_TTL_MS / 3)) return;
    this.lastSeenWrite = now;
    this.store.tx(() => {
      this.store.run('INSERT OR REPLACE INTO clients (name, queue, owner, seen_at) VALUES (?, ?, ?, ?)', name, this.qualifiedName, this.clientOwner, now);
      // Rows of processes that died without closing would otherwise stay forever.
      this.store.run('DELETE FROM clients WHERE seen_at < ?', now - 10 * CLIENT_TTL_MS);
    });
  }

  toKey(type: string): string {
    return `${this.qualifiedName}:${type}`;
  }

  parseNodeKey(key: string): { prefix: string; queueName: string; id: string } {
    const last = key.lastIndexOf(':');
    const before = key.lastIndexOf(':', last - 1);
    return { prefix: key.slice(0, Math.max(before, 0)), queueName: key.slice(before + 1, last), id: key.slice(last + 1) };
  }

  clientName(suffix = ''): string {
    return `${this.qualifiedName}${suffix}`;
  }

  // ---- events ----
  async trimEvents(maxLength: number): Promise<number> {
    return this.tx(() => trimEventLog(this.ctx, maxLength));
  }

  async publishEvent(fields: Record<string, string | number>, maxEvents: number): Promise<string> {
    const { event, ...rest } = fields;
    return this.tx(() => {
      emitEvent(this.ctx, String(event), rest);
      if (maxEvents > 0) trimEventLog(this.ctx, maxEvents);
      return String(lastEventId(this.ctx));
    });
  }

  async readEvents(id: string, blockTimeout: number): Promise<StreamReadRaw> {
    // Closed: throw as a closed Redis connection does, so QueueEvents backs off instead of spinning.
    if (this.closing) throw new ConnectionClosedError();
    this.ensureOpen();
    // '$' means "events after the reader started": resolve it once so a quiet read loses nothing.
    this.startCursor ??= this.read(() => lastEventId(this.ctx));
    const cursor = id === '$' ? this.startCursor : Number(id) || 0;
    const deadline = Date.now() + Math.max(1, blockTimeout || 5000);
    const channels = this.wakeChannels(`event:${this.qualifiedName}`);
    let events = this.read(() => eventsAfter(this.ctx, cursor, 100));
    while (events.length === 0 && !this.closing && Date.now() < deadline) {
      await waitForSignal(this.store.bus, channels, Math.min(this.pollMs(), deadline - Date.now()), (cancel) => {
        this.cancelEventWait = cancel;
      });
      this.cancelEventWait = undefined;
      if (this.closing) return null;
      this.ensureOpen();
      events = this.read(() => eventsAfter(this.ctx, cursor, 100));
    }
    if (events.length === 0) return null;
    return [['events', events.map((e) => [String(e.id), JSON.parse(e.fields) as string[]])]] as unknown as StreamReadRaw;
  }

  /** Throws BullMQ's connection-closed error once the shared file is closed (a closed Redis connection's answer). */
  protected ensureOpen(): void {
    if (!this.store.db.isOpen) throw new ConnectionClosedError();
  }

  /** The bus channels a waiter listens to: its own, other processes' commits, and the file closing. */
  private wakeChannels(own: string): string[] {
    this.store.wake?.watch();
    return [own, 'external', 'closed'];
  }

  /** Without a cross-process watcher, other processes' writes are seen only by polling. */
  private pollMs(): number {
    return this.store.wake?.active ? Math.max(this.identity.pollIntervalMs, SAFETY_POLL_MS) : this.identity.pollIntervalMs;
  }

  // ---- blocking wait for jobs ----
  /**
   * Blocks until a job may be claimable (or a delayed one is due), for up to `blockTimeout` seconds,
   * as BZPOPMIN on the marker key does on Redis.
   */
  async waitForJob(blockTimeout: number): Promise<{ member: string; score: number } | null> {
    if (this.closing || this.blockingDisconnected) return null;
    this.ensureOpen();
    this.touchClient();
    const deadline = Date.now() + Math.max(0, blockTimeout) * 1000;
    const channels = this.wakeChannels(`job:${this.qualifiedName}`);
    for (;;) {
      if (this.jobReady()) return { member: '0', score: 0 };
      const next = this.read(() => nextDelayedAt(this.ctx));
      let timeout = deadline - Date.now();
      if (next > 0) timeout = Math.min(timeout, next - Date.now());
      if (timeout <= 0) return next > 0 && next <= Date.now() ? { member: '0', score: next } : null;
      await waitForSignal(this.store.bus, channels, Math.min(timeout, this.pollMs()), (cancel) => {
        this.cancelWait = cancel;
      });
      this.cancelWait = undefined;
      if (this.closing || this.blockingDisconnected) return null;
      this.ensureOpen();
    }
  }

  /**
   * Read-only probe: an idle worker must not take the write lock every poll. A due delayed job
   * counts as ready; the claim that follows promotes it.
   */
  private jobReady(): boolean {
    return this.read(() => {
      const flags = readFlags(this.ctx);
      if (flags.paused) return false;
      // At its global concurrency the queue has nothing to hand out (Redis adds no marker then).
      if (
        flags.concurrency !== undefined &&
        (this.store.one<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE queue = ? AND state = 'active'`, this.qualifiedName)?.n ?? 0) >= flags.concurrency
      )
        return false;
      // Two probes rather than an OR, so each uses its state's partial index.
      return (
        this.store.one(`SELECT 1 AS x FROM jobs WHERE queue = ? AND state = 'wait' LIMIT 1`, this.qualifiedName) !== undefined ||
        this.store.one(`SELECT 1 AS x FROM jobs WHERE queue = ? AND state = 'delayed' AND process_at <= ? LIMIT 1`, this.qualifiedName, Date.now()) !==
          undefined
      );
    });
  }

  async disconnectBlocking(_wait?: boolean): Promise<void> {
    this.blockingDisconnected = true;
    this.cancelWait?.();
  }

  async reconnectBlocking(): Promise<void> {
    this.blockingDisconnected = false;
  }
}
