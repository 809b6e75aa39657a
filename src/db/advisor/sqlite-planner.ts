import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { ValidationError } from '../../shared/errors.ts';
import { quoteIdentifier, type Candidate, type ExistingIndex, type PlanCost, type Relation, type WhatIfPlanner } from './planner.ts';
import type { StatementUsage } from './usage.ts';

/** CPU time of the calling thread, in ms. */
export function threadCpuMs(): number {
  const usage = process.threadCpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** A random row lookup through a non-covering index costs this many sequential row steps. */
const LOOKUP = 3;
/** One comparison of SQLite's sorter, in sequential row steps. */
const SORT = 0.25;
const RUNS = 5;
const RUN_BUDGET_MS = 400;
const BATCH_MS = 2;
/** One run longer than this and the statement is judged by estimates only. */
const MAX_RUN_MS = 2_000;

/**
 * SQLite has no planner costs in EXPLAIN QUERY PLAN, so cost is estimated as rows visited:
 * nested loops multiply (SCAN = all rows; SEARCH = rows per key from sqlite_stat1), a lookup
 * through a non-covering index is charged LOOKUP, a temp B-tree n·log2(n)·SORT, and a LIMIT
 * without a sort stops early. The estimate only ranks candidates: each proposal is then timed by
 * running the statement with and without the index (`measure`), and the measured ratio is the claim.
 * Candidates are real indexes created and ANALYZEd inside a savepoint that is rolled back; the
 * caller holds the writer inside a transaction it rolls back too.
 */
export class SqliteWhatIfPlanner implements WhatIfPlanner {
  readonly dialect = 'sqlite' as const;
  readonly method = 'candidate index built inside a rolled-back savepoint, the statement timed with and without it';
  readonly #db: DatabaseSync;
  readonly #numbered: string;
  readonly #relations = new Map<string, Relation | undefined>();
  #usage: StatementUsage | undefined;
  #values: SQLInputValue[] = [];
  readonly #given: readonly unknown[] | undefined;

  readonly #overheadMs: number;

  constructor(db: DatabaseSync, numberedSql: string, params?: readonly unknown[], overheadMs = 0) {
    this.#db = db;
    this.#overheadMs = overheadMs;
    this.#numbered = numberedSql;
    this.#given = params;
  }

  /** The analysed statement: its aliases for reading plans, its placeholders for timing. */
  setUsage(usage: StatementUsage, parameterCount: number): void {
    this.#usage = usage;
    this.#values = Array.from({ length: parameterCount }, (_, i) => this.#valueFor(i + 1));
    // Statistics for the tables involved; never with analysis_limit, which writes wrong sqlite_stat1 rows.
    for (const entry of usage.tables.values()) {
      const schema = quoteIdentifier(entry.relation.schema);
      const hasStats =
        this.#db.prepare(`select 1 from ${schema}.sqlite_master where name = 'sqlite_stat1'`).get() &&
        this.#db.prepare(`select 1 from ${schema}.sqlite_stat1 where tbl = ? collate nocase`).get(entry.relation.name);
      if (!hasStats) this.#db.exec(`analyze ${schema}.${quoteIdentifier(entry.relation.name)}`);
    }
  }

  async describe(schema: string | undefined, name: string): Promise<Relation | undefined> {
    const key = `${schema ?? ''}.${name.toLowerCase()}`;
    if (!this.#relations.has(key)) this.#relations.set(key, this.#load(schema, name));
    return this.#relations.get(key);
  }

  #load(schema: string | undefined, name: string): Relation | undefined {
    for (const db of schema ? [schema] : ['temp', 'main']) {
      let row: { type: string; name: string; sql: string | null } | undefined;
      try {
        row = this.#db
          .prepare(`select type, name, sql from ${quoteIdentifier(db)}.sqlite_master where name = ? collate nocase and type in ('table', 'view')`)
          .get(name) as typeof row;
      } catch {
        continue; // no such attached database
      }
      if (!row) continue;
      const columns = (this.#db.prepare('select name from pragma_table_info(?, ?)').all(row.name, db) as { name: string }[]).map((c) => c.name);
      const indexes: ExistingIndex[] = (this.#db.prepare('select name from pragma_index_list(?, ?)').all(row.name, db) as { name: string }[]).map(
        ({ name: index }) => {
          const keys = this.#db.prepare('select name, "desc" from pragma_index_xinfo(?, ?) where key = 1 order by seqno').all(index, db) as {
            name: string | null;
            desc: number;
          }[];
          return { name: index, method: 'btree', columns: keys.map((k) => k.name), desc: keys.map((k) => k.desc === 1), opclasses: [] };
        },
      );
      return {
        schema: db,
        name: row.name,
        kind: row.type === 'view' ? 'view' : 'table',
        visible: db === 'main' || db === 'temp',
        columns,
        indexes,
        ...(row.sql ? { definition: row.sql } : {}),
      };
    }
    return undefined;
  }

  async rowCount(relation: Relation): Promise<number> {
    return this.#rows(relation);
  }

  async check(): Promise<PlanCost> {
    try {
      return this.#estimate(this.#plan());
    } catch (error) {
      throw new ValidationError(`Cannot advise on this statement: SQLite rejected it (${error instanceof Error ? error.message : String(error)})`, [
        { field: 'sql', message: 'rejected by SQLite' },
      ]);
    }
  }

  async cost(extraIndexes: readonly Candidate[]): Promise<PlanCost> {
    return this.#withIndexes(extraIndexes, () => this.#estimate(this.#plan()));
  }

  async measure(extraIndexes: readonly Candidate[]): Promise<number | undefined> {
    return this.#withIndexes(extraIndexes, () => {
      const statement = this.#db.prepare(this.#numbered);
      const run = (): void => {
        for (const row of statement.iterate(...this.#values)) void row;
      };
      const times: number[] = [];
      const started = performance.now();
      run(); // warm-up: page cache, statement compile
      // A statement this slow is not timed again and again while the writer is held: estimates only.
      if (performance.now() - started > MAX_RUN_MS) return undefined;
      // Each sample repeats the statement for at least BATCH_MS of this thread's CPU time: SQLite runs
      // synchronously on it, so CPU time is the statement's own work, which other processes on a
      // busy machine cannot stretch the way they stretch wall time.
      while (times.length < RUNS && (times.length === 0 || performance.now() - started < RUN_BUDGET_MS)) {
        const t0 = threadCpuMs();
        let count = 0;
        do {
          run();
          count++;
        } while (threadCpuMs() - t0 < BATCH_MS);
        times.push((threadCpuMs() - t0) / count + this.#overheadMs);
      }
      // The fastest sample: other work on the machine only ever adds time, so the minimum is the
      // statement's own cost, for the baseline and the candidate alike.
      return times.length > 0 ? Math.min(...times) : undefined;
    });
  }

  #withIndexes<T>(extraIndexes: readonly Candidate[], work: () => T): T {
    this.#db.exec('savepoint ai_stack_whatif');
    try {
      extraIndexes.forEach((candidate, i) => {
        const schema = quoteIdentifier(candidate.relation.schema);
        const name = `ai_stack_candidate_${i}`;
        const keys = candidate.columns.map((c) => `${quoteIdentifier(c.name)}${c.desc ? ' desc' : ''}`).join(', ');
        this.#db.exec(`create index ${schema}.${name} on ${quoteIdentifier(candidate.relation.name)} (${keys}); analyze ${schema}.${name}`);
      });
      return work();
    } finally {
      this.#db.exec('rollback to ai_stack_whatif; release ai_stack_whatif');
    }
  }

  #plan(): { detail: string }[] {
    return this.#db.prepare(`explain query plan ${this.#numbered}`).all(...this.#values) as { detail: string }[];
  }

  /** A value for placeholder n: the caller's, else a middle value of the column it is compared with. */
  #valueFor(n: number): SQLInputValue {
    const given = this.#given?.[n - 1];
    if (given !== undefined)
      return given === null || typeof given === 'number' || typeof given === 'string' || typeof given === 'bigint' ? given : JSON.stringify(given);
    if (this.#usage?.limitParams.has(n)) return 10;
    const column = this.#usage?.params.get(n);
    if (!column) return null;
    const table = `${quoteIdentifier(column.relation.schema)}.${quoteIdentifier(column.relation.name)}`;
    const rows = this.#rows(column.relation);
    const row = this.#db
      .prepare(`select ${quoteIdentifier(column.column)} as v from ${table} where ${quoteIdentifier(column.column)} is not null limit 1 offset ?`)
      .get(Math.floor(rows / 2)) as { v: SQLInputValue } | undefined;
    return row?.v ?? null;
  }

  #rows(relation: Relation): number {
    const schema = quoteIdentifier(relation.schema);
    try {
      const stats = this.#db.prepare(`select stat from ${schema}.sqlite_stat1 where tbl = ? collate nocase`).all(relation.name) as { stat: string }[];
      const rows = Math.max(0, ...stats.map((s) => Number(s.stat.split(' ')[0]) || 0));
      if (stats.length > 0) return rows;
    } catch {
      // no sqlite_stat1 yet
    }
    return (this.#db.prepare(`select count(*) as n from ${schema}.${quoteIdentifier(relation.name)}`).get() as { n: number }).n;
  }

  #indexStats(name: string): number[] | undefined {
    for (const schema of new Set([...(this.#usage?.tables.values() ?? [])].map((t) => t.relation.schema))) {
      try {
        const row = this.#db.prepare(`select stat from ${quoteIdentifier(schema)}.sqlite_stat1 where idx = ?`).get(name) as { stat: string } | undefined;
        if (row)
          return row.stat
            .split(' ')
            .map(Number)
            .filter((n) => Number.isFinite(n));
      } catch {
        // no statistics in this schema
      }
    }
    return undefined;
  }

  #estimate(plan: { detail: string }[]): PlanCost {
    const aliases = this.#usage?.aliases ?? new Map<string, Relation>();
    const rowsOf = (alias: string): number => {
      const relation = aliases.get(alias.toLowerCase());
      // A CTE or subquery scan: its size is unknown to the plan, so a middle guess.
      return relation ? Math.max(1, this.#rows(relation)) : 1000;
    };
    let loops = 1;
    let cost = 0;
    let sorts = false;
    const fullScans: string[] = [];
    for (const { detail } of plan) {
      const search = /^SEARCH (\S+)(?: AS \S+)? USING (COVERING )?(?:INDEX (\S+)|INTEGER PRIMARY KEY|PRIMARY KEY) \((.*)\)/.exec(detail);
      const scan = /^SCAN (\S+)(?: AS \S+)?(?: USING (COVERING )?INDEX (\S+))?/.exec(detail);
      if (search) {
        const [, alias = '', covering, index, terms = ''] = search;
        const n = rowsOf(alias);
        const equalities = (terms.match(/=/g) ?? []).length - (terms.match(/[<>]=/g) ?? []).length;
        const ranged = /[<>]/.test(terms);
        const perKey = index ? (this.#indexStats(index)?.[equalities] ?? n / 10) : equalities > 0 ? 1 : n;
        const visited = Math.max(1, ranged ? perKey / 4 : perKey);
        loops *= visited;
        cost += loops * (index && !covering ? 1 + LOOKUP : 1);
      } else if (scan && !/^SCAN CONSTANT/.test(detail)) {
        const [, alias = '', covering, index] = scan;
        const relation = aliases.get(alias.toLowerCase());
        if (!index) fullScans.push(relation?.name ?? alias);
        loops *= rowsOf(alias);
        cost += loops * (index && !covering ? 1 + LOOKUP : 1);
      } else if (/USE TEMP B-TREE/.test(detail)) {
        sorts = true;
        cost += loops * Math.log2(Math.max(2, loops)) * SORT;
      }
    }
    const limit = this.#usage?.limit;
    // Without a sort (or grouping) the rows come out in order, so a LIMIT stops the scan early.
    if (limit !== undefined && !sorts && loops > limit) cost *= Math.max(limit / loops, 0.0001);
    return { cost: Math.max(1, Math.round(cost)), fullScans, sorts, plan: plan.map((row) => row.detail) };
  }
}
