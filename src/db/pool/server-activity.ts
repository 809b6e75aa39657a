import { sql } from 'kysely';
import type { Db } from '../db.ts';

/** The server's view of this database's client connections (PostgreSQL's pg_stat_activity). */
export interface ServerActivity {
  /** Client backends by state: active, idle, "idle in transaction", … (every application, not only this process). */
  connections: Record<string, number>;
  /** Backends waiting for a lock right now. */
  waitingOnLocks: number;
  /** Age of the oldest open transaction; long ones hold back vacuum and often are leaked connections. */
  longestTransactionMs: number;
}

/**
 * What pg.Pool cannot tell: "idle in transaction" connections (a transaction left open by
 * application code), lock waits and the oldest transaction. Reads only counts, never other
 * sessions' query text. SQLite has no server: undefined.
 */
export async function serverActivity(db: Db): Promise<ServerActivity | undefined> {
  if (db.dialect !== 'postgres') return undefined;
  const { rows } = await sql<{ state: string | null; n: number; lock_waits: number; longest_ms: number | null }>`
    select state, count(*)::int as n,
           count(*) filter (where wait_event_type = 'Lock')::int as lock_waits,
           max(extract(epoch from (clock_timestamp() - xact_start)) * 1000)::float8 as longest_ms
      from pg_stat_activity
     where datname = current_database() and backend_type = 'client backend'
     group by state`.execute(db.kysely);
  const connections: Record<string, number> = {};
  let waitingOnLocks = 0;
  let longestTransactionMs = 0;
  for (const row of rows) {
    connections[row.state ?? 'unknown'] = row.n;
    waitingOnLocks += row.lock_waits;
    longestTransactionMs = Math.max(longestTransactionMs, row.longest_ms ?? 0);
  }
  return { connections, waitingOnLocks, longestTransactionMs: Math.round(longestTransactionMs) };
}
