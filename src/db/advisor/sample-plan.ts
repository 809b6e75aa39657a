import type { Db } from '../db.ts';
import { PlanDeferred } from '../slow-queries/slow-query-log.ts';
import { explainPostgres } from './postgres-planner.ts';

/**
 * The plan of a statement as the slow-query log keeps it next to its statistics: PostgreSQL's
 * generic JSON plan (no parameter values; quoted literals of raw SQL blanked to '?'), or SQLite's
 * EXPLAIN QUERY PLAN rows. Runs on its own connection (PostgreSQL, in a transaction rolled back) or
 * a reader (SQLite), outside the statement hook, so it is never timed or explained itself.
 */
export async function samplePlan(db: Db, sqlText: string): Promise<unknown> {
  const native = db.native;
  if (native.dialect === 'sqlite') {
    const handle = native.sqlite.nextReader() ?? native.sqlite.writer;
    return handle.db.prepare(`explain query plan ${sqlText}`).all();
  }
  // Slow queries come with load: never queue for a connection that requests are waiting for.
  if (native.pool.waitingCount > 0 || (native.pool.idleCount === 0 && native.pool.totalCount >= (native.pool.options.max ?? 10)))
    throw new PlanDeferred('no idle connection for a sample plan');
  const client = await native.pool.connect();
  try {
    await client.query('begin');
    try {
      return blankLiterals(await explainPostgres(client, sqlText));
    } finally {
      await client.query('rollback');
    }
  } finally {
    client.release();
  }
}

function blankLiterals(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/'(?:[^']|'')*'/g, "'?'");
  if (Array.isArray(value)) return value.map(blankLiterals);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, blankLiterals(inner)]));
  return value;
}
