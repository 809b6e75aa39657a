import type { QueryHook } from './db.ts';

/**
 * Runs one statement with the drivers' statement hook around it, for the asynchronous paths
 * (PostgreSQL queries, batch chunks). Without a hook nothing is timed. The SQLite driver's own
 * synchronous path is written out by hand instead: it runs per ~7 µs statement, where a closure
 * and a promise per call would be most of the hook's cost.
 */
export async function timedStatement<T>(
  onQuery: QueryHook | undefined,
  sqlText: string,
  parameters: readonly unknown[],
  run: () => T | Promise<T>,
): Promise<T> {
  if (onQuery === undefined) return run();
  const started = performance.now();
  let failed = true;
  try {
    const result = await run();
    failed = false;
    return result;
  } finally {
    const ended = performance.now();
    onQuery(sqlText, parameters, ended - started, failed, ended);
  }
}
