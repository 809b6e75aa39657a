import type { DatabaseSync } from 'node:sqlite';
import { ValidationError } from '../../shared/errors.ts';
import type { Db } from '../db.ts';
import { candidateIndexes } from './candidates.ts';
import { parseSelect, type ParsedStatement } from './parse.ts';
import { createIndexStatement, describeCandidate, type Candidate, type PlanCost, type WhatIfPlanner } from './planner.ts';
import { PostgresWhatIfPlanner } from './postgres-planner.ts';
import { SqliteWhatIfPlanner, threadCpuMs } from './sqlite-planner.ts';
import { analyseStatement, type StatementUsage } from './usage.ts';

export interface AdviseOptions {
  /** A proposal must make the statement at least this many times faster (cheaper). Default 2 (Dexter's 50 %). */
  minSpeedup?: number;
  /** Indexes proposed per statement at most. Default 3. */
  maxIndexes?: number;
  /** Tables with fewer rows get no proposal: a full scan of them is cheap anyway (PgHero's rule). Default 500. */
  minTableRows?: number;
  /** Values for the statement's placeholders, in order: PostgreSQL plans (and times) with them instead of a generic plan. */
  params?: readonly unknown[];
  /** PostgreSQL: also build each proposal for real (inside the rolled-back transaction) and time the statement. SQLite always does. */
  measure?: boolean;
  /** Time spent timing candidates at most, per statement. Default 20 s. */
  timeBudgetMs?: number;
}

export interface IndexSuggestion {
  table: string;
  schema: string;
  columns: string[];
  /** Columns kept in descending order (for an ORDER BY … DESC). */
  descending: string[];
  method: 'btree' | 'gin' | 'gist';
  statement: string;
  costBefore: number;
  costAfter: number;
  /** Planner estimate (PostgreSQL cost, SQLite rows visited). */
  estimatedSpeedup: number;
  /** Wall time of the statement without and with the index, when it was timed. */
  /** `atLeast`: the ratio was higher than MAX_MEASURED_CLAIM and is claimed as that bound. */
  measured?: { beforeMs: number; afterMs: number; speedup: number; atLeast?: boolean };
  /** The claim: the measured ratio when timed, else the estimate. */
  speedup: number;
  /** Existing indexes that are a leading prefix of this one: it serves their queries too, so they could go. */
  supersedes: string[];
  reason: string;
}

export interface AdviceReport {
  sql: string;
  dialect: Db['dialect'];
  /** How proposals were verified. */
  method: string;
  /** PostgreSQL with placeholders: which parameter values the estimate assumed. */
  assumption?: string;
  /** Views read through to their base tables. */
  views: string[];
  costBefore: number;
  costAfter: number;
  suggestions: IndexSuggestion[];
  /** Why nothing was suggested, when nothing was. */
  reason?: string;
  planBefore: unknown;
}

const MAX_SQL = 20_000;
/** The database's own catalogs: not ours to index. */
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);
/**
 * A measured gain is claimed up to this bound ("at least 50×"): past it the statement's remaining
 * time is fixed per-statement cost (locking, stepping, the client) that timing inside the advisor's
 * transaction sees less of than the application does, so a larger figure would overstate it.
 */
const MAX_MEASURED_CLAIM = 50;
/** Candidates timed per round, best estimates first. */
const TIMED_PER_ROUND = 4;

/**
 * Reads the plan of one SELECT, proposes single and composite indexes on the columns it filters,
 * joins, sorts or groups on (through views, CTEs and subqueries), and keeps those the planner
 * confirms, greedily, best first. On SQLite (and on PostgreSQL with `measure`) each proposal is
 * also timed with and without the index and kept only when the measured gain reaches the threshold.
 * Never changes the database: everything happens in a transaction that is rolled back.
 */
export async function adviseIndexes(db: Db, sqlText: string, options: AdviseOptions = {}): Promise<AdviceReport> {
  const statement = checkStatement(sqlText);
  const parsed = await parseSelect(statement, db.dialect);
  if (db.native.dialect === 'sqlite') {
    return db.native.sqlite.withWriter(async ({ db: writer }) => {
      // Timed runs happen inside the advisor's transaction; the application's statements each pay for
      // their own read transaction, which no index removes, so that cost is added to every timing.
      const overheadMs = autocommitOverhead(writer);
      writer.exec('begin');
      try {
        const planner = new SqliteWhatIfPlanner(writer, parsed.numbered, options.params, overheadMs);
        return await advise(planner, statement, parsed, options, (usage) => planner.setUsage(usage, parsed.parameterCount));
      } finally {
        if (writer.isTransaction) writer.exec('rollback');
      }
    });
  }
  const client = await db.native.pool.connect();
  try {
    await client.query('begin');
    await client.query("set local statement_timeout = '30s'");
    const planner = await PostgresWhatIfPlanner.create(client, statement, parsed.parameterCount, options.params);
    const report = await advise(planner, statement, parsed, options);
    const assumption = planner.assumption;
    return assumption ? { ...report, assumption } : report;
  } finally {
    await client.query('rollback').catch(() => undefined);
    client.release();
  }
}

async function advise(
  planner: WhatIfPlanner,
  sqlText: string,
  parsed: ParsedStatement,
  options: AdviseOptions,
  prepare?: (usage: StatementUsage) => void,
): Promise<AdviceReport> {
  const minSpeedup = options.minSpeedup ?? 2;
  const maxIndexes = options.maxIndexes ?? 3;
  const minRows = options.minTableRows ?? 500;
  const checked = await planner.check();
  const usage = await analyseStatement(parsed.select, planner);
  prepare?.(usage);
  const before = planner.dialect === 'sqlite' ? await planner.cost([]) : checked;
  const report: AdviceReport = {
    sql: sqlText,
    dialect: planner.dialect,
    method: planner.method,
    views: [...new Set(usage.views)],
    costBefore: round(before.cost),
    costAfter: round(before.cost),
    suggestions: [],
    planBefore: before.plan,
  };

  const small: string[] = [];
  const candidates: Candidate[] = [];
  let considered = 0;
  for (const table of usage.tables.values()) {
    if (SYSTEM_SCHEMAS.has(table.relation.schema) || table.relation.name.startsWith('sqlite_')) continue;
    const rows = await planner.rowCount(table.relation);
    const trigramOpclass = planner.trigramSchema ? `"${planner.trigramSchema.replaceAll('"', '""')}".gin_trgm_ops` : undefined;
    const list = candidateIndexes(table, trigramOpclass ? { trigramOpclass } : {});
    considered += table.equality.length + table.range.length + table.join.length + table.orders.length + table.groups.length + table.like.length;
    if (list.length > 0 && rows < minRows) small.push(`${table.relation.name} (${rows} rows)`);
    else candidates.push(...list);
  }
  if (candidates.length === 0) {
    report.reason =
      small.length > 0
        ? `Only small tables lack an index for this statement: ${small.join(', ')}, under ${minRows} rows, where a full scan is cheap.`
        : considered === 0
          ? 'The statement has no condition, join, ORDER BY or GROUP BY on a table column that an index could serve.'
          : 'Every column the statement filters, joins, sorts or groups on already leads an existing index of the same kind.';
    return report;
  }

  const timed = planner.measure !== undefined && (planner.dialect === 'sqlite' || options.measure === true);
  const deadline = performance.now() + (options.timeBudgetMs ?? 20_000);
  let current = before;
  let currentMs = timed ? await planner.measure?.([]) : undefined;
  if (timed && currentMs === undefined)
    report.method += ' (not timed: one run of the statement takes too long or needs parameter values; planner estimates only)';
  const accepted: Candidate[] = [];
  let closest: { candidate: Candidate; ratio: number; measured: boolean } | undefined;
  while (accepted.length < maxIndexes && performance.now() < deadline) {
    const ranked: { candidate: Candidate; cost: PlanCost; ms?: number }[] = [];
    for (const candidate of candidates) {
      if (accepted.some((a) => a.relation === candidate.relation)) continue;
      ranked.push({ candidate, cost: await planner.cost([...accepted, candidate]) });
    }
    // Cheaper first; within 5 % the narrower index first (less to write and store).
    ranked.sort((a, b) =>
      Math.abs(a.cost.cost - b.cost.cost) <= 0.05 * Math.max(a.cost.cost, b.cost.cost)
        ? a.candidate.columns.length - b.candidate.columns.length
        : a.cost.cost - b.cost.cost,
    );
    let best = ranked[0];
    if (!best) break;
    if (timed && currentMs !== undefined) {
      let fastest: (typeof ranked)[number] | undefined;
      for (const entry of ranked.slice(0, TIMED_PER_ROUND)) {
        if (performance.now() > deadline) break;
        entry.ms = await planner.measure?.([...accepted, entry.candidate]);
        // The planner's favourite stays unless another is clearly faster: microsecond differences are noise.
        if (entry.ms !== undefined && (!fastest || clearlyFaster(entry.ms, fastest.ms ?? Infinity))) fastest = entry;
      }
      best = fastest ?? best;
      // A second round of both sides, keeping each side's fastest time: a burst of load during one
      // measurement then neither inflates nor hides a gain.
      if (best.ms !== undefined && currentMs !== undefined && performance.now() < deadline) {
        const again = await planner.measure?.(accepted);
        const againAfter = await planner.measure?.([...accepted, best.candidate]);
        if (again !== undefined) currentMs = Math.min(currentMs, again);
        if (againAfter !== undefined) best.ms = Math.min(best.ms, againAfter);
      }
    }
    const measuredRatio = best.ms !== undefined && currentMs !== undefined ? currentMs / Math.max(best.ms, 0.001) : undefined;
    const estimatedRatio = current.cost / best.cost.cost;
    // PostgreSQL's clock is shared with every other backend on the server, so there a measured gain
    // must agree with the planner's estimate; SQLite's estimate is ours and rough, its CPU time exact.
    const ratio = measuredRatio === undefined ? estimatedRatio : planner.dialect === 'postgres' ? Math.min(measuredRatio, estimatedRatio) : measuredRatio;
    if (ratio < minSpeedup) {
      if (!closest || ratio > closest.ratio) closest = { candidate: best.candidate, ratio, measured: measuredRatio !== undefined };
      break;
    }
    accepted.push(best.candidate);
    report.suggestions.push(suggestion(planner.dialect, best.candidate, current, best.cost, currentMs, best.ms, before));
    current = best.cost;
    if (best.ms !== undefined) currentMs = best.ms;
  }
  report.costAfter = round(current.cost);
  if (report.suggestions.length === 0) {
    report.reason = closest
      ? `${describeCandidate(closest.candidate)} would make it ${round(closest.ratio)}× as fast (${closest.measured ? 'measured' : 'estimated by the planner'}), below the ${minSpeedup}× threshold (${candidates.length} candidate${candidates.length === 1 ? '' : 's'} tried).`
      : `Ran out of the ${options.timeBudgetMs ?? 20_000} ms time budget before a candidate could be verified.`;
  }
  return report;
}

function suggestion(
  dialect: Db['dialect'],
  candidate: Candidate,
  current: PlanCost,
  after: PlanCost,
  currentMs: number | undefined,
  afterMs: number | undefined,
  first: PlanCost,
): IndexSuggestion {
  const estimated = current.cost / after.cost.valueOf();
  const ratio = currentMs !== undefined && afterMs !== undefined ? currentMs / Math.max(afterMs, 0.001) : undefined;
  const measured =
    currentMs !== undefined && afterMs !== undefined && ratio !== undefined
      ? {
          beforeMs: round3(currentMs),
          afterMs: round3(afterMs),
          speedup: round(Math.min(ratio, MAX_MEASURED_CLAIM)),
          ...(ratio > MAX_MEASURED_CLAIM ? { atLeast: true } : {}),
        }
      : undefined;
  const table = candidate.relation.name;
  const scan = current.fullScans.includes(table) ? `replaces the full scan of ${table}` : `narrows access to ${table}`;
  const sort = current.sorts && !after.sorts ? ' and removes the sort' : '';
  const names = candidate.columns.map((c) => c.name);
  return {
    table,
    schema: candidate.relation.schema,
    columns: names,
    descending: candidate.columns.filter((c) => c.desc).map((c) => c.name),
    method: candidate.method ?? 'btree',
    statement: createIndexStatement(dialect, candidate),
    costBefore: round(current.cost),
    costAfter: round(after.cost),
    estimatedSpeedup: round(estimated),
    ...(measured ? { measured } : {}),
    speedup: measured?.speedup ?? round(estimated),
    supersedes:
      (candidate.method ?? 'btree') === 'btree'
        ? candidate.relation.indexes
            .filter((i) => i.method === 'btree' && i.columns.length < names.length && i.columns.every((c, n) => c === names[n]))
            .map((i) => i.name)
        : [],
    reason: `${scan}${sort} (${describeCandidate(candidate)}${first === current ? '' : ', on top of the indexes above'})`,
  };
}

function autocommitOverhead(writer: DatabaseSync): number {
  const statement = writer.prepare('select 1 from sqlite_master limit 1');
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = threadCpuMs();
    let count = 0;
    do {
      statement.get();
      count++;
    } while (threadCpuMs() - started < 2);
    samples.push((threadCpuMs() - started) / count);
  }
  return samples.sort((a, b) => a - b)[1] ?? 0;
}

/** At least 30 % and 0.01 ms faster. */
const clearlyFaster = (ms: number, than: number): boolean => ms < than * 0.7 && than - ms > 0.01;

const round = (n: number): number => Math.round(n * 100) / 100;
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** One read-only statement, no trailing second statement: the advisor plans it, never runs anything else. */
function checkStatement(sqlText: string): string {
  const text = typeof sqlText === 'string' ? sqlText.trim().replace(/;\s*$/, '') : '';
  const issue = (message: string) => new ValidationError(`Cannot advise on this statement: ${message}`, [{ field: 'sql', message }]);
  if (!text) throw issue('it is empty');
  if (text.length > MAX_SQL) throw issue(`it is longer than ${MAX_SQL} characters`);
  if (!/^(select|with)\b/i.test(text)) throw issue('only SELECT statements can be advised');
  const bare = text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g, "''");
  if (bare.includes(';')) throw issue('it contains more than one statement');
  if (/\b(insert|update|delete|merge|truncate|drop|alter|create|grant|revoke|copy|vacuum|reindex)\b/i.test(bare)) throw issue('it writes data');
  return text;
}
