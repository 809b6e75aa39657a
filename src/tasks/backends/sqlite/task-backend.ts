import { bindBullmq, type TaskBackend } from '../../backend.ts';
import { createSqliteQueueBackendFactory, storeOptionsOf, type SqliteQueueBackendOptions } from './factory.ts';
import { acquireStore } from './store.ts';
import { createSqliteTaskStore } from './task-store.ts';

export interface SqliteTaskBackendOptions extends SqliteQueueBackendOptions {
  /** Namespaces queues and store keys, so several deployments or tests can share one file. */
  keyPrefix?: string;
}

/**
 * The embedded task backend: BullMQ on this SQLite queue backend plus a TaskStore in the same
 * file, so queues, results, leases and the worker registry survive together (one WAL, one fsync policy).
 */
export function createSqliteTaskBackend(opts: SqliteTaskBackendOptions): TaskBackend {
  const factory = createSqliteQueueBackendFactory(opts);
  const keyPrefix = opts.keyPrefix ?? '';
  const store = acquireStore(opts.file, storeOptionsOf(opts));
  let closed: Promise<void> | undefined;
  return {
    kind: 'sqlite',
    bullmq: bindBullmq(factory, {}, `${keyPrefix}bull`),
    store: createSqliteTaskStore(store, `${keyPrefix}tasks:`),
    close() {
      closed ??= factory.close();
      return closed;
    },
  };
}
