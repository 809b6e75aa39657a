import type pg from 'pg';
import type { Candidate, PlanCost, WhatIfPlanner } from './planner.ts';

export interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  'Total Cost'?: number;
  Plans?: PlanNode[];
}

/**
 * PostgreSQL what-if planning on one connection inside a transaction the caller rolls back.
 * With hypopg, candidates are hypothetical indexes (no build, no lock); without it, they are real
 * indexes built inside that transaction and discarded by the rollback (correct but slower, and it
 * blocks writers to the table meanwhile). Statements with $n placeholders are planned generically
 * (PREPARE + plan_cache_mode=force_generic_plan), as Dexter does on PostgreSQL < 16.
 */
export class PostgresWhatIfPlanner implements WhatIfPlanner {
  readonly dialect = 'postgres' as const;
  method = 'hypothetical index (hypopg)';
  readonly #client: pg.PoolClient;
  readonly #sql: string;
  readonly #parameterCount: number;
  readonly #columns = new Map<string, string[]>();
  readonly #indexes = new Map<string, string[][]>();
  #hypopg: string | undefined;

  private constructor(client: pg.PoolClient, sqlText: string) {
    this.#client = client;
    this.#sql = sqlText;
    this.#parameterCount = placeholderCount(sqlText);
  }

  /** Loads catalog facts; `client` must already be inside a transaction. */
  static async create(client: pg.PoolClient, sqlText: string): Promise<PostgresWhatIfPlanner> {
    const planner = new PostgresWhatIfPlanner(client, sqlText);
    const columns = await client.query<{ table_name: string; column_name: string }>(
      'select table_name::text, column_name::text from information_schema.columns where table_schema = current_schema() order by ordinal_position',
    );
    for (const { table_name, column_name } of columns.rows) planner.#columns.set(table_name, [...(planner.#columns.get(table_name) ?? []), column_name]);
    const indexes = await client.query<{ table_name: string; columns: string[] }>(
      `select c.relname::text as table_name,
              array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, n)
                    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.n) as columns
         from pg_index i join pg_class c on c.oid = i.indrelid
        where c.relnamespace = current_schema()::regnamespace`,
    );
    for (const { table_name, columns: cols } of indexes.rows) planner.#indexes.set(table_name, [...(planner.#indexes.get(table_name) ?? []), cols]);
    planner.#hypopg = await findHypopg(client);
    if (!planner.#hypopg) planner.method = 'candidate index built inside a rolled-back transaction (hypopg not installed)';
    return planner;
  }

  columnsOf(table: string): readonly string[] {
    return this.#columns.get(table) ?? [];
  }

  indexesOf(table: string): readonly (readonly string[])[] {
    return this.#indexes.get(table) ?? [];
  }

  async rowCount(table: string): Promise<number> {
    const { rows } = await this.#client.query<{ n: number }>(
      'select greatest(c.reltuples, 0)::bigint as n from pg_class c where c.oid = to_regclass($1)', [quote(table)]);
    return rows[0]?.n ?? 0;
  }

  async cost(extraIndexes: readonly Candidate[]): Promise<PlanCost> {
    await this.#client.query('savepoint ai_stack_whatif');
    try {
      for (const candidate of extraIndexes) {
        const ddl = `create index on ${quote(candidate.table)} (${candidate.columns.map(quote).join(', ')})`;
        if (this.#hypopg) await this.#client.query(`select * from ${this.#hypopg}.hypopg_create_index($1)`, [ddl]);
        else await this.#client.query(ddl);
      }
      const root = await this.#explain();
      const fullScans: string[] = [];
      let sorts = false;
      const walk = (node: PlanNode): void => {
        if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) fullScans.push(node['Relation Name']);
        if (node['Node Type'] === 'Sort' || node['Node Type'] === 'Incremental Sort') sorts = true;
        node.Plans?.forEach(walk);
      };
      walk(root);
      return { cost: root['Total Cost'] ?? Number.NaN, fullScans, sorts, plan: root };
    } finally {
      if (this.#hypopg) await this.#client.query(`select ${this.#hypopg}.hypopg_reset()`);
      await this.#client.query('rollback to savepoint ai_stack_whatif');
    }
  }

  #explain(): Promise<PlanNode> {
    return explainPostgres(this.#client, this.#sql, this.#parameterCount);
  }
}

/**
 * The plan of one statement as JSON. With $n placeholders it is the generic plan (PREPARE +
 * plan_cache_mode=force_generic_plan, as Dexter does on PostgreSQL < 16), so no parameter value is
 * needed or shown. `client` must be inside a transaction (the plan_cache_mode setting is local).
 */
export async function explainPostgres(client: pg.PoolClient, sqlText: string, parameterCount = placeholderCount(sqlText)): Promise<PlanNode> {
  // json comes back as text (see the shared type parsers), so the plan is parsed here.
  let rows: { 'QUERY PLAN': string }[];
  if (parameterCount === 0) {
    ({ rows } = await client.query(`explain (format json) ${sqlText}`));
  } else {
    await client.query('set local plan_cache_mode = force_generic_plan');
    await client.query(`prepare ai_stack_explain as ${sqlText}`);
    try {
      const nulls = new Array<string>(parameterCount).fill('null').join(', ');
      ({ rows } = await client.query(`explain (format json) execute ai_stack_explain(${nulls})`));
    } finally {
      await client.query('deallocate ai_stack_explain');
    }
  }
  const text = rows[0]?.['QUERY PLAN'];
  const plan = text === undefined ? undefined : (JSON.parse(text) as { Plan?: PlanNode }[])[0]?.Plan;
  if (!plan) throw new Error('EXPLAIN returned no plan');
  return plan;
}

function placeholderCount(sqlText: string): number {
  return Math.max(0, ...[...sqlText.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** The schema hypopg lives in; installs it (for this transaction only) when available but not created. */
async function findHypopg(client: pg.PoolClient): Promise<string | undefined> {
  const find = async () => (await client.query<{ schema: string }>("select n.nspname::text as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'hypopg'")).rows[0]?.schema;
  const existing = await find();
  if (existing) return quote(existing);
  await client.query('savepoint ai_stack_hypopg');
  try {
    // Created inside the advisor's transaction, so the final rollback removes it again.
    await client.query('create extension hypopg');
    await client.query('release savepoint ai_stack_hypopg');
    const created = await find();
    return created ? quote(created) : undefined;
  } catch {
    await client.query('rollback to savepoint ai_stack_hypopg');
    return undefined;
  }
}
