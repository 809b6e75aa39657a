// The BackendFactory BullMQ calls for every Queue/Worker/FlowProducer/QueueEvents it builds.
import type { BackendFactory, QueueBaseOptions } from 'bullmq';
import { SqliteQueueBackend } from './backend.ts';
import { acquireStore, closeStore, type StoreOptions } from './store.ts';

export interface SqliteQueueBackendOptions {
  /** Database file (created if missing); `:memory:` works within one process only. */
  file: string;
  /** How often idle workers and QueueEvents look for other processes' writes (ms). Default 25. */
  pollIntervalMs?: number;
  /** How long a write waits for another process's lock (ms). Default 10 000. */
  busyTimeoutMs?: number;
  /** SQLite's `synchronous` for the file: `full` (default, durable on power loss) or `normal`. */
  synchronous?: 'full' | 'normal';
}

export interface SqliteQueueBackendFactory extends BackendFactory<SqliteQueueBackend, unknown> {
  /** The database file this factory's backends share. */
  readonly file: string;
  /** Closes the shared connection. Close your Queues/Workers first. */
  close(): Promise<void>;
}

export function createSqliteQueueBackendFactory(options: SqliteQueueBackendOptions): SqliteQueueBackendFactory {
  if (typeof options.file !== 'string' || options.file.length === 0) throw new TypeError('createSqliteQueueBackendFactory: `file` is required');
  const pollIntervalMs = Math.max(1, Math.floor(options.pollIntervalMs ?? 25));
  const storeOpts = storeOptionsOf(options);
  const factory = (name: string, opts: QueueBaseOptions<unknown>, flags: { blocking?: boolean; withBlockingConnection?: boolean } = {}) => {
    const store = acquireStore(options.file, storeOpts);
    const rawPrefix = (opts as { prefix?: unknown }).prefix;
    const prefix = typeof rawPrefix === 'string' && rawPrefix !== '' ? rawPrefix : 'bull';
    const workerName = (opts as { name?: unknown }).name;
    const qualified = `${prefix}:${name}`;
    const identity = {
      name,
      prefix,
      pollIntervalMs,
      ...(flags.withBlockingConnection ? { clientName: typeof workerName === 'string' ? `${qualified}:w:${workerName}` : qualified } : {}),
    };
    return new SqliteQueueBackend(store, opts as QueueBaseOptions, identity);
  };
  return Object.assign(factory, {
    file: options.file,
    close: async (): Promise<void> => closeStore(options.file),
  });
}

/** The connection options of a factory's options (the first opener of a file sets them for the process). */
export function storeOptionsOf(options: SqliteQueueBackendOptions): StoreOptions {
  return {
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
    ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }),
  };
}
