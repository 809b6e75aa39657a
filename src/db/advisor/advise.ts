import { ValidationError } from '../../shared/errors.ts';
import type { Db } from '../db.ts';
import { createIndexStatement, type Candidate, type PlanCost, type WhatIfPlanner } from './planner.ts';
import { PostgresWhatIfPlanner } from './postgres-planner.ts';
import { candidateColumns, usageBySql } from './predicates.ts';
import { SqliteWhatIfPlanner } from './sqlite-planner.ts';

export interface AdviseOptions {
  /** A proposal must make the statement at least this many times cheaper. Default 2 (Dexter's 50 %). */
  minSpeedup?: number;
  /** Indexes proposed per statement at most. Default 3. */
  maxIndexes?: number;
  /** Tables with fewer rows get no proposal: a full scan of them is cheap anyway (PgHero's rule). Default 500. */
  minTableRows?: number;
}

export interface IndexSuggestion {
  table: string;
  columns: string[];
  statement: string;
  costBefore: number;
  costAfter: number;
  speedup: number;
  reason: string;
}

export interface AdviceReport {
  sql: string;
  dialect: Db['dialect'];
  /** How proposals were verified (hypothetical index, rolled-back build). */
  method: string;
  costBefore: number;
  costAfter: number;
  suggestions: IndexSuggestion[];
  /** Why nothing was suggested, when nothing was. */
  reason?: string;
  planBefore: unknown;
}

const MAX_SQL = 20_000;

/**
 * Reads the plan of one SELECT, proposes single and composite indexes on the columns it filters,
 * joins or sorts on, and keeps only those the real planner confirms (greedily, best first). Never
 * changes the database: PostgreSQL candidates are hypothetical (hypopg), SQLite ones are rolled back.
 */
export async function adviseIndexes(db: Db, sqlText: string, options: AdviseOptions = {}): Promise<AdviceReport> {
  const statement = checkStatement(sqlText);
  if (db.native.dialect === 'sqlite') {
    return db.native.sqlite.withWriter(async ({ db: writer }) => {
      writer.exec('begin');
      try {
        return await advise(new SqliteWhatIfPlanner(writer, statement), statement, options);
      } finally {
        if (writer.isTransaction) writer.exec('rollback');
      }
    });
  }
  const client = await db.native.pool.connect();
  try {
    await client.query('begin');
    await client.query("set local statement_timeout = '30s'");
    return await advise(await PostgresWhatIfPlanner.create(client, statement), statement, options);
  } finally {
    await client.query('rollback').catch(() => undefined);
    client.release();
  }
}

async function advise(planner: WhatIfPlanner, sqlText: string, options: AdviseOptions): Promise<AdviceReport> {
  const minSpeedup = options.minSpeedup ?? 2;
  const maxIndexes = options.maxIndexes ?? 3;
  const before = await planner.cost([]);
  const report: AdviceReport = { sql: sqlText, dialect: planner.dialect, method: planner.method, costBefore: before.cost, costAfter: before.cost, suggestions: [], planBefore: before.plan };
  if (before.fullScans.length === 0 && !before.sorts) {
    report.reason = 'The plan already reads every table through an index and does not sort: nothing to improve.';
    return report;
  }
  const usage = usageBySql(sqlText, (table) => planner.columnsOf(table));
  const small: string[] = [];
  const candidates: Candidate[] = [];
  for (const [table, columns] of usage) {
    if ((await planner.rowCount(table)) < (options.minTableRows ?? 500)) {
      small.push(table);
      continue;
    }
    for (const list of candidateColumns(columns, planner.indexesOf(table))) candidates.push({ table, columns: list });
  }
  if (candidates.length === 0 && small.length > 0) {
    report.reason = `Only small tables (${small.join(', ')}) lack an index for this statement; scanning them is cheap.`;
    return report;
  }
  if (candidates.length === 0) {
    report.reason = `Full scan of ${before.fullScans.join(', ') || 'a table'}${before.sorts ? ' and a sort' : ''}, but no filtered, joined or sorted column lacks an index (or the query has no usable predicate).`;
    return report;
  }

  let current: PlanCost = before;
  const accepted: Candidate[] = [];
  while (accepted.length < maxIndexes) {
    let best: { candidate: Candidate; cost: PlanCost } | undefined;
    for (const candidate of candidates) {
      if (accepted.some((a) => a.table === candidate.table)) continue;
      const cost = await planner.cost([...accepted, candidate]);
      // Cheaper wins; within 5 % the narrower index wins (less to write and store).
      const better = !best || cost.cost < best.cost.cost * 0.95 || (cost.cost <= best.cost.cost * 1.05 && candidate.columns.length < best.candidate.columns.length);
      if (better) best = { candidate, cost };
    }
    if (!best || current.cost / best.cost.cost < minSpeedup) break;
    accepted.push(best.candidate);
    report.suggestions.push({
      table: best.candidate.table,
      columns: best.candidate.columns,
      statement: createIndexStatement(planner.dialect, best.candidate),
      costBefore: round(current.cost),
      costAfter: round(best.cost.cost),
      speedup: round(current.cost / best.cost.cost),
      reason: reasonFor(best.candidate, current),
    });
    current = best.cost;
  }
  report.costAfter = current.cost;
  if (report.suggestions.length === 0) {
    report.reason = `No candidate index made the statement at least ${minSpeedup}× cheaper (tried ${candidates.length}); the table may be too small for an index to pay off.`;
  }
  return report;
}

function reasonFor(candidate: Candidate, plan: PlanCost): string {
  const scan = plan.fullScans.includes(candidate.table) ? `replaces the full scan of ${candidate.table}` : `narrows access to ${candidate.table}`;
  return `${scan}${plan.sorts ? ' and may avoid a sort' : ''} (columns ${candidate.columns.join(', ')})`;
}

const round = (n: number): number => Math.round(n * 100) / 100;

/** One read-only statement, no trailing second statement: the advisor plans it, never runs it. */
function checkStatement(sqlText: string): string {
  const text = typeof sqlText === 'string' ? sqlText.trim().replace(/;\s*$/, '') : '';
  const issue = (message: string) => new ValidationError(`Cannot advise on this statement: ${message}`, [{ field: 'sql', message }]);
  if (!text) throw issue('it is empty');
  if (text.length > MAX_SQL) throw issue(`it is longer than ${MAX_SQL} characters`);
  if (!/^(select|with)\b/i.test(text)) throw issue('only SELECT statements can be advised');
  if (text.replace(/'(?:[^']|'')*'/g, '').includes(';')) throw issue('it contains more than one statement');
  if (/\b(insert|update|delete|merge|truncate|drop|alter|create)\b/i.test(text.replace(/'(?:[^']|'')*'/g, ''))) throw issue('it writes data');
  return text;
}

export interface SlowQueryAdvice {
  fingerprint: string;
  query: string;
  totalMs: number;
  calls: number;
  report?: AdviceReport;
  /** Why this fingerprint was not advised on (not a SELECT, planning failed, …). */
  skipped?: string;
}

/** Advises on the `top` slow fingerprints by total time (their slowest call's SQL; values are not needed). */
export async function adviseSlowQueries(db: Db, options: AdviseOptions & { top?: number } = {}): Promise<SlowQueryAdvice[]> {
  const log = db.slowQueries;
  if (!log) return [];
  const results: SlowQueryAdvice[] = [];
  for (const stats of log.getSlowQueries({ limit: Math.max(1, Math.min(options.top ?? 5, 50)) })) {
    const base = { fingerprint: stats.fingerprint, query: stats.query, totalMs: stats.totalMs, calls: stats.calls };
    const sample = log.sampleSql(stats.fingerprint);
    if (!sample || !/^\s*(select|with)\b/i.test(sample)) {
      results.push({ ...base, skipped: 'only SELECT statements are advised on' });
      continue;
    }
    try {
      const report = await adviseIndexes(db, sample, options);
      log.setSamplePlan(stats.fingerprint, report.planBefore);
      results.push({ ...base, report });
    } catch (error) {
      results.push({ ...base, skipped: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}
