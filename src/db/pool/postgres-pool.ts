import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';
import type { QueryTiming } from '../db.ts';
import { timedStatement } from '../timed-statement.ts';
import { PoolTimeoutError, type PoolMonitor } from './pool-monitor.ts';

interface TimedClient {
  wrapper: PostgresPoolClient;
  acquiredAt: number;
}

/**
 * The pool Kysely sees: pg.Pool's connect/release, timed. pg reports an acquire timeout as a plain
 * "timeout exceeded when trying to connect"; it becomes a PoolTimeoutError naming the pool, the
 * wait and the pool's state, which the HTTP edge answers with 503. One wrapper per pg client, so
 * Kysely's per-client connection cache keeps working. Each statement is timed around the driver call
 * (`timing.onQuery`, looked up per statement; cursors for streaming pass through untimed).
 */
export function instrumentPgPool(pool: pg.Pool, monitor: PoolMonitor, timing: QueryTiming): PostgresPool {
  pool.on('error', () => monitor.recordClosed('error'));
  pool.on('remove', () => monitor.recordClosed('removed'));
  const wrappers = new WeakMap<pg.PoolClient, TimedClient>();
  return {
    options: pool.options,
    async connect(): Promise<PostgresPoolClient> {
      const started = performance.now();
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        if (error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message)) {
          monitor.recordTimeout();
          throw new PoolTimeoutError(
            monitor.name,
            performance.now() - started,
            `${pool.totalCount} open, ${pool.idleCount} idle, ${pool.waitingCount} waiting`,
          );
        }
        throw error;
      }
      let timed = wrappers.get(client);
      if (!timed) {
        const entry: TimedClient = {
          acquiredAt: 0,
          wrapper: {
            query: timedQuery(client, timing) as PostgresPoolClient['query'],
            get processID() {
              return (client as unknown as { processID?: number }).processID;
            },
            release: () => {
              monitor.recordRelease(performance.now() - entry.acquiredAt);
              client.release();
            },
          },
        };
        timed = entry;
        wrappers.set(client, entry);
      }
      timed.acquiredAt = performance.now();
      monitor.recordAcquire(timed.acquiredAt - started);
      return timed.wrapper;
    },
    end: () => pool.end(),
  };
}

function timedQuery(client: pg.PoolClient, timing: QueryTiming) {
  return (text: unknown, parameters?: readonly unknown[]): unknown => {
    const onQuery = timing.onQuery;
    if (!onQuery || typeof text !== 'string') return client.query(text as string, parameters as unknown[]);
    const values = parameters ?? [];
    return timedStatement(onQuery, text, values, () => client.query(text, values as unknown[]));
  };
}
