import type { WriteTracker } from './write-tracker.ts';

/** What one process tells the others: these tables were written (no rows, no values). */
export interface TableWrites {
  tables: string[];
}

/** The transport: a pub/sub channel between the processes of a deployment (the cache's `channel()`). */
export type OpenWriteChannel = (handlers: {
  parse: (payload: Record<string, unknown>) => TableWrites | undefined;
  onMessage: (message: TableWrites) => void;
  onResync: () => void;
}) => Promise<{ publish(message: TableWrites): Promise<void>; close(): Promise<void> }>;

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const MAX_TABLES = 100;

/** Accepts `{tables: [names]}` only; anything else from the wire is dropped. */
export function parseTableWrites(payload: Record<string, unknown>): TableWrites | undefined {
  const { tables } = payload;
  if (!Array.isArray(tables) || tables.length === 0 || tables.length > MAX_TABLES) return undefined;
  return tables.every((table) => typeof table === 'string' && TABLE_NAME.test(table)) ? { tables: tables as string[] } : undefined;
}

/**
 * Makes the query cache of every process sharing a Redis see every process's writes: local writes
 * are published (coalesced per event-loop turn; the last message of a write always follows its
 * commit, because the tracker touches tables again after the statement and at COMMIT), and writes
 * announced by others bump the local versions. After a reconnect, missed messages are assumed:
 * every table counts as written. Returns the stop function.
 */
export async function relayTableWrites(writes: WriteTracker, open: OpenWriteChannel): Promise<() => Promise<void>> {
  const channel = await open({
    parse: parseTableWrites,
    onMessage: (message) => writes.touch(message.tables, 'remote'),
    onResync: () => writes.touchAll(),
  });
  const stopListening = writes.onWritesPerTurn(
    (batch) => {
      for (let i = 0; i < batch.length; i += MAX_TABLES) void channel.publish({ tables: batch.slice(i, i + MAX_TABLES) });
    },
    ['local'],
  );
  return async () => {
    stopListening();
    await channel.close();
  };
}
