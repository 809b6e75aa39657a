/**
 * The backend seam of the task system. Everything above this file (task definitions, handles,
 * canvas, workers, scheduler, monitor) talks to its datastore through exactly two things:
 *
 * 1. `bullmq` — a BullMQ 6 `BackendFactory` plus the `connection` and key `prefix` handed to every
 *    `Queue`, `Worker`, `FlowProducer` and `QueueEvents` we construct. The Redis backend passes
 *    BullMQ's own `createRedisBackend`; the SQLite backend passes its `IQueueBackend` factory.
 *    Build it with `bindBullmq(factory, connection, prefix)` so the factory's connection type is
 *    checked once, at the place where it is paired with its connection.
 * 2. `store` — a tiny durable key/value store with TTLs (interface `TaskStore` below). The result
 *    store, attempts history, revocations, per-task rate-limit windows, worker registry, schedule
 *    overrides and scheduler leases all live here. It must be shared by every process that uses
 *    the same backend (a Redis server, or the same SQLite file) and survive a process crash.
 *
 * A backend must provide nothing else: no raw Redis (or SQL) command is issued above this seam.
 */
import type { BackendFactory, IQueueBackend } from 'bullmq';

/** Small shared key/value store with TTLs. Keys are opaque strings chosen by the task layer. */
export interface TaskStore {
  get(key: string): Promise<string | null>;
  /** Same order as `keys`; missing or expired keys are `null`. */
  getMany(keys: readonly string[]): Promise<Array<string | null>>;
  /** Overwrites. `ttlMs` undefined = keep forever. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Writes only when the key is absent (or expired). Resolves true when it wrote. Used for locks. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Re-arms the TTL only while the key still holds `expected` (lease renewal). */
  refreshIfEquals(key: string, expected: string, ttlMs: number): Promise<boolean>;
  /** Deletes only while the key still holds `expected` (lease release). */
  deleteIfEquals(key: string, expected: string): Promise<boolean>;
  /** Atomic add-one; when the key is created its TTL is `ttlMs`. Resolves the new value. */
  increment(key: string, ttlMs: number): Promise<number>;
  delete(key: string): Promise<void>;
  /**
   * Every live key starting with `prefix`, with its value. Only used for small sets
   * (workers, schedule overrides), so it need not be fast.
   */
  scan(prefix: string): Promise<Array<{ key: string; value: string }>>;
  close(): Promise<void>;
}

/** What BullMQ's classes need to be pointed at a datastore. */
export interface BullmqBinding {
  readonly factory: BackendFactory<IQueueBackend, unknown>;
  readonly connection: unknown;
  readonly prefix: string;
}

export interface TaskBackend {
  /** Short name for logs and docs, e.g. `redis` or `sqlite`. */
  readonly kind: string;
  readonly bullmq: BullmqBinding;
  readonly store: TaskStore;
  /** Closes the store and any connection the backend itself owns. Idempotent. */
  close(): Promise<void>;
  /** A networked backend reports its connection's errors and recoveries here (so they are logged once, not per retry). */
  watchConnection?(watcher: ConnectionWatcher): void;
}

export interface ConnectionWatcher {
  error(error: unknown): void;
  ready(): void;
}

/**
 * Pairs a BullMQ backend factory with the connection options it expects. The cast is safe because
 * the only caller of `factory` is BullMQ, and it passes back exactly the `connection` given here.
 */
export function bindBullmq<B extends IQueueBackend, C>(factory: BackendFactory<B, C>, connection: C, prefix: string): BullmqBinding {
  return { factory: factory as unknown as BackendFactory<IQueueBackend, unknown>, connection, prefix };
}
