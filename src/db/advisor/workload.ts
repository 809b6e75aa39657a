import type { Db } from '../db.ts';
import { adviseIndexes, type AdviceReport, type AdviseOptions, type IndexSuggestion } from './advise.ts';

const EXPLAINABLE = /^\s*(select|with)\b/i;

export interface SlowQueryAdvice {
  fingerprint: string;
  query: string;
  totalMs: number;
  calls: number;
  report?: AdviceReport;
  /** Why this fingerprint was not advised on (not a SELECT, planning failed, …). */
  skipped?: string;
}

/** One proposed index across the workload: the queries it serves and the time they took. */
export interface WorkloadIndex {
  statement: string;
  table: string;
  columns: string[];
  method: IndexSuggestion['method'];
  /** Fingerprints of the slow queries it serves. */
  serves: string[];
  /** Total time of those queries so far: what the index works on. */
  totalMs: number;
  bestSpeedup: number;
  /** Another proposal on the same table starts with these columns: that one serves these queries too. */
  coveredBy?: string;
  /** Existing indexes that are a leading prefix of this one. */
  supersedes: string[];
}

export interface WorkloadAdvice {
  queries: SlowQueryAdvice[];
  indexes: WorkloadIndex[];
}

/**
 * Dexter's log mode over our own slow-query log: advises on the `top` fingerprints by total time
 * (each with its slowest call's SQL), then merges the proposals: one entry per index with every
 * query it serves, and a flag on proposals that are a prefix of another one.
 */
export async function adviseSlowQueries(db: Db, options: AdviseOptions & { top?: number } = {}): Promise<WorkloadAdvice> {
  const log = db.slowQueries;
  if (!log) return { queries: [], indexes: [] };
  const queries: SlowQueryAdvice[] = [];
  const top = Math.max(1, Math.min(options.top ?? 5, 50));
  // Only reads can be advised on, so the top N are counted among SELECTs (as Dexter does).
  const selects = log
    .getSlowQueries({ limit: 1000 })
    .filter((stats) => EXPLAINABLE.test(log.sampleSql(stats.fingerprint) ?? ''))
    .slice(0, top);
  for (const stats of selects) {
    const base = { fingerprint: stats.fingerprint, query: stats.query, totalMs: stats.totalMs, calls: stats.calls };
    try {
      const report = await adviseIndexes(db, log.sampleSql(stats.fingerprint) ?? '', options);
      log.setSamplePlan(stats.fingerprint, report.planBefore);
      queries.push({ ...base, report });
    } catch (error) {
      queries.push({ ...base, skipped: error instanceof Error ? error.message : String(error) });
    }
  }
  return { queries, indexes: groupProposals(queries) };
}

export function groupProposals(queries: readonly SlowQueryAdvice[]): WorkloadIndex[] {
  const byKey = new Map<string, WorkloadIndex & { descending: string[] }>();
  for (const query of queries) {
    for (const s of query.report?.suggestions ?? []) {
      const key = `${s.schema}.${s.table}:${s.method}:${s.columns.map((c) => `${c}${s.descending.includes(c) ? '-' : ''}`).join(',')}`;
      let entry = byKey.get(key);
      if (!entry) {
        entry = {
          statement: s.statement,
          table: s.table,
          columns: s.columns,
          method: s.method,
          serves: [],
          totalMs: 0,
          bestSpeedup: 0,
          supersedes: s.supersedes,
          descending: s.descending,
        };
        byKey.set(key, entry);
      }
      if (!entry.serves.includes(query.fingerprint)) {
        entry.serves.push(query.fingerprint);
        entry.totalMs += query.totalMs;
      }
      entry.bestSpeedup = Math.max(entry.bestSpeedup, s.speedup);
    }
  }
  const all = [...byKey.values()];
  for (const entry of all) {
    const longer = all.find(
      (other) =>
        other !== entry &&
        other.table === entry.table &&
        other.method === 'btree' &&
        entry.method === 'btree' &&
        other.columns.length > entry.columns.length &&
        entry.columns.every((c, i) => other.columns[i] === c && entry.descending.includes(c) === other.descending.includes(c)),
    );
    if (longer) entry.coveredBy = longer.statement;
  }
  return all.map(({ descending: _descending, ...entry }) => entry).sort((a, b) => b.totalMs - a.totalMs);
}
