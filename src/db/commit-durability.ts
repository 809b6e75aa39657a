import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<true>();

/**
 * Runs `work` so that the transactions it opens commit without waiting for the disk: SQLite commits
 * them with `synchronous = normal` (in WAL mode the commit is in the OS page cache: it survives the
 * process being killed, not a power cut); on PostgreSQL the caller adds `set local
 * synchronous_commit = off` (the server has the commit; only a crash of the server may lose it).
 * For records that only save work when they survive, such as the mail outbox's delivery outcomes,
 * where a lost record means a re-send with the same Message-ID; never for business data. A later
 * durable commit makes every earlier one durable too (the WAL is sequential).
 */
export function withoutDiskFlush<T>(work: () => Promise<T>): Promise<T> {
  return scope.run(true, work);
}

/** True inside `withoutDiskFlush`: the SQLite driver reads it when it begins a transaction. */
export function diskFlushDeferred(): boolean {
  return scope.getStore() === true;
}
