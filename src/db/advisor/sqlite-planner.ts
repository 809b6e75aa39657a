import type { DatabaseSync } from 'node:sqlite';
import type { Candidate, PlanCost, WhatIfPlanner } from './planner.ts';
import { tableAliases } from './predicates.ts';

interface Stats {
  rows: Map<string, number>;
  /** index name → [rows, avg rows per 1st key, per 1st+2nd key, …] from sqlite_stat1. */
  indexes: Map<string, number[]>;
}

/**
 * SQLite has no planner costs in EXPLAIN QUERY PLAN, so cost is estimated as rows visited:
 * nested loops multiply (SCAN = all rows; SEARCH = rows per key from sqlite_stat1), a temp
 * B-tree adds n·log2(n). Candidates are real indexes created and ANALYZEd inside a savepoint
 * that is rolled back, so the planner that judges them is SQLite's own, on real statistics.
 * Must run on the writer inside an open transaction (the caller rolls it back).
 */
export class SqliteWhatIfPlanner implements WhatIfPlanner {
  readonly dialect = 'sqlite' as const;
  readonly method = 'candidate index created and analysed inside a rolled-back savepoint';
  readonly #db: DatabaseSync;
  readonly #sql: string;
  readonly #columns = new Map<string, string[]>();
  readonly #indexes = new Map<string, string[][]>();
  readonly #aliases: Map<string, string>;

  constructor(db: DatabaseSync, sqlText: string) {
    this.#db = db;
    this.#sql = sqlText;
    this.#aliases = tableAliases(sqlText);
    const tables = db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'").all() as { name: string }[];
    for (const { name } of tables) {
      this.#columns.set(name, (db.prepare('select name from pragma_table_info(?)').all(name) as { name: string }[]).map((c) => c.name));
      const indexes = db.prepare('select name from pragma_index_list(?)').all(name) as { name: string }[];
      this.#indexes.set(name, indexes.map((index) => (db.prepare('select name from pragma_index_info(?) order by seqno').all(index.name) as { name: string }[]).map((c) => c.name)));
    }
    db.exec('pragma analysis_limit = 1000');
    const hasStats = db.prepare("select 1 from sqlite_master where name = 'sqlite_stat1'").get();
    if (!hasStats) db.exec('analyze');
  }

  columnsOf(table: string): readonly string[] {
    return this.#columns.get(table) ?? [];
  }

  indexesOf(table: string): readonly (readonly string[])[] {
    return this.#indexes.get(table) ?? [];
  }

  async rowCount(table: string): Promise<number> {
    const fromStats = this.#stats().rows.get(table);
    return fromStats ?? (this.#db.prepare(`select count(*) as n from "${table.replaceAll('"', '""')}"`).get() as { n: number }).n;
  }

  async cost(extraIndexes: readonly Candidate[]): Promise<PlanCost> {
    this.#db.exec('savepoint ai_stack_whatif');
    try {
      extraIndexes.forEach((candidate, i) => {
        const name = `ai_stack_candidate_${i}`;
        this.#db.exec(`create index ${name} on "${candidate.table}" (${candidate.columns.map((c) => `"${c}"`).join(', ')}); analyze ${name}`);
      });
      const plan = this.#db.prepare(`explain query plan ${this.#sql}`).all() as { id: number; parent: number; detail: string }[];
      return this.#estimate(plan);
    } finally {
      this.#db.exec('rollback to ai_stack_whatif; release ai_stack_whatif');
    }
  }

  #stats(): Stats {
    const rows = new Map<string, number>();
    const indexes = new Map<string, number[]>();
    for (const { tbl, idx, stat } of this.#db.prepare('select tbl, idx, stat from sqlite_stat1').all() as { tbl: string; idx: string | null; stat: string }[]) {
      const numbers = stat.split(' ').map(Number).filter((n) => Number.isFinite(n));
      if (numbers[0] !== undefined) rows.set(tbl, Math.max(rows.get(tbl) ?? 0, numbers[0]));
      if (idx) indexes.set(idx, numbers);
    }
    return { rows, indexes };
  }

  #estimate(plan: { detail: string }[]): PlanCost {
    const stats = this.#stats();
    const rowsOf = (alias: string): number => {
      const table = this.#aliases.get(alias) ?? alias;
      return Math.max(1, stats.rows.get(table) ?? (this.#db.prepare(`select count(*) as n from "${table}"`).get() as { n: number }).n);
    };
    let loops = 1;
    let cost = 0;
    let sorts = false;
    const fullScans: string[] = [];
    for (const { detail } of plan) {
      const scan = /^SCAN (\w+)/.exec(detail);
      const search = /^SEARCH (\w+) USING (?:COVERING )?(?:INDEX (\w+)|INTEGER PRIMARY KEY|PRIMARY KEY) \((.*)\)/.exec(detail);
      if (search) {
        const [, alias = '', index, terms = ''] = search;
        const equalities = (terms.match(/=/g) ?? []).length - (terms.match(/[<>]=/g) ?? []).length;
        const ranged = /[<>]/.test(terms);
        const perKey = index ? (stats.indexes.get(index)?.[equalities] ?? rowsOf(alias) / 10) : equalities > 0 ? 1 : rowsOf(alias);
        const visited = Math.max(1, ranged ? perKey / 4 : perKey);
        loops *= visited;
        cost += loops;
      } else if (scan && !/^SCAN CONSTANT/.test(detail)) {
        const alias = scan[1] ?? '';
        fullScans.push(this.#aliases.get(alias) ?? alias);
        loops *= rowsOf(alias);
        cost += loops;
      } else if (/USE TEMP B-TREE/.test(detail)) {
        sorts = true;
        cost += loops * Math.log2(Math.max(2, loops));
      }
    }
    return { cost: Math.round(cost), fullScans, sorts, plan: plan.map((row) => row.detail) };
  }
}
