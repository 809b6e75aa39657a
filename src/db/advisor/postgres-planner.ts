import type pg from 'pg';
import { ValidationError } from '../../shared/errors.ts';
import { indexDefinition, type Candidate, type PlanCost, type Relation, type WhatIfPlanner } from './planner.ts';

export interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  'Total Cost'?: number;
  Plans?: PlanNode[];
}

/**
 * PostgreSQL what-if planning on one connection inside a transaction the caller rolls back.
 * With hypopg, btree candidates are hypothetical indexes (no build, no lock); without it, and for
 * GIN trigram candidates (hypopg has no GIN), they are real indexes built inside a savepoint and
 * discarded by rolling it back. Statements with $n placeholders are planned generically
 * (PREPARE + plan_cache_mode=force_generic_plan, as Dexter does on PostgreSQL < 16) unless the
 * caller gives values, which are then planned as a custom plan.
 */
export class PostgresWhatIfPlanner implements WhatIfPlanner {
  readonly dialect = 'postgres' as const;
  method = 'hypothetical index (hypopg), compared by planner cost';
  readonly #client: pg.PoolClient;
  readonly #sql: string;
  readonly #parameterCount: number;
  readonly #params: readonly unknown[] | undefined;
  readonly #relations = new Map<string, Promise<Relation | undefined>>();
  #hypopg: string | undefined;
  trigramSchema: string | undefined;

  private constructor(client: pg.PoolClient, sqlText: string, parameterCount: number, params: readonly unknown[] | undefined) {
    this.#client = client;
    this.#sql = sqlText;
    this.#parameterCount = parameterCount;
    this.#params = params;
  }

  /** `client` must already be inside a transaction. */
  static async create(client: pg.PoolClient, sqlText: string, parameterCount: number, params?: readonly unknown[]): Promise<PostgresWhatIfPlanner> {
    const planner = new PostgresWhatIfPlanner(client, sqlText, parameterCount, params);
    planner.#hypopg = await findHypopg(client);
    if (!planner.#hypopg) planner.method = 'candidate index built inside a rolled-back transaction (hypopg not installed), compared by planner cost';
    const trgm = await client.query<{ schema: string }>(
      "select n.nspname::text as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'",
    );
    planner.trigramSchema = trgm.rows[0]?.schema;
    return planner;
  }

  /** Which parameter values the estimate assumed, for the report. */
  get assumption(): string | undefined {
    if (this.#parameterCount === 0) return undefined;
    if (this.#params) return `planned with the given parameter values (${this.#params.map((v) => JSON.stringify(v)).join(', ')}) as a custom plan`;
    return (
      'planned as a generic plan without parameter values: PostgreSQL assumes each range condition (<, >, BETWEEN) keeps ⅓ of the rows, ' +
      'an equality 1/n_distinct, LIKE 0.5 %; pass `params` (CLI: --param) to check with real values'
    );
  }

  describe(schema: string | undefined, name: string): Promise<Relation | undefined> {
    const key = `${schema ?? ''}.${name}`;
    let found = this.#relations.get(key);
    if (!found) {
      found = this.#load(schema, name);
      this.#relations.set(key, found);
    }
    return found;
  }

  async #load(schema: string | undefined, name: string): Promise<Relation | undefined> {
    const qualified = schema ? `${quote(schema)}.${quote(name)}` : quote(name);
    const { rows } = await this.#client.query<{ oid: number; schema: string; name: string; relkind: string; visible: boolean; definition: string | null }>(
      `select c.oid::int as oid, n.nspname::text as schema, c.relname::text as name, c.relkind::text as relkind,
              pg_table_is_visible(c.oid) as visible,
              case when c.relkind = 'v' then pg_get_viewdef(c.oid) end as definition
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.oid = to_regclass($1) and c.relkind in ('r', 'p', 'v', 'm', 'f')`,
      [qualified],
    );
    const row = rows[0];
    if (!row) return undefined;
    // pg_attribute, not information_schema.columns, which leaves materialized views out.
    const columns = await this.#client.query<{ name: string }>(
      'select attname::text as name from pg_attribute where attrelid = $1 and attnum > 0 and not attisdropped order by attnum',
      [row.oid],
    );
    const indexes = await this.#client.query<{ name: string; method: string; columns: (string | null)[]; desc: boolean[]; opclasses: string[] }>(
      `select ic.relname::text as name, am.amname::text as method,
              array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, n)
                    left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum and k.attnum > 0
                    where k.n <= i.indnkeyatts order by k.n) as columns,
              array(select (o & 1) = 1 from unnest(i.indoption::int2[]) with ordinality k(o, n) order by k.n) as desc,
              array(select oc.opcname::text from unnest(i.indclass) with ordinality k(opc, n) join pg_opclass oc on oc.oid = k.opc order by k.n) as opclasses
         from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_am am on am.oid = ic.relam
        where i.indrelid = $1 and i.indisvalid`,
      [row.oid],
    );
    const kind = row.relkind === 'v' ? 'view' : row.relkind === 'm' ? 'matview' : 'table';
    return {
      schema: row.schema,
      name: row.name,
      kind,
      visible: row.visible,
      columns: columns.rows.map((c) => c.name),
      indexes: indexes.rows,
      ...(row.definition ? { definition: row.definition } : {}),
    };
  }

  async rowCount(relation: Relation): Promise<number> {
    const { rows } = await this.#client.query<{ n: string }>('select greatest(c.reltuples, 0)::bigint as n from pg_class c where c.oid = to_regclass($1)', [
      `${quote(relation.schema)}.${quote(relation.name)}`,
    ]);
    return Number(rows[0]?.n ?? 0);
  }

  /** The first plan: a statement PostgreSQL rejects becomes a ValidationError with its reason, and the transaction stays usable. */
  async check(): Promise<PlanCost> {
    await this.#client.query('savepoint ai_stack_check');
    try {
      const cost = summarise(await this.#explain());
      await this.#client.query('release savepoint ai_stack_check');
      return cost;
    } catch (error) {
      await this.#client.query('rollback to savepoint ai_stack_check');
      const code = (error as { code?: string }).code ?? '';
      const message = error instanceof Error ? error.message : String(error);
      // Class 42 (syntax, unknown table/column), 22 (bad literal) and 0A (not supported) are the statement's fault.
      if (/^(42|22|0A)/.test(code))
        throw new ValidationError(`Cannot advise on this statement: PostgreSQL rejected it (${message})`, [{ field: 'sql', message }]);
      throw error;
    }
  }

  async cost(extraIndexes: readonly Candidate[]): Promise<PlanCost> {
    return this.#withIndexes(extraIndexes, async () => summarise(await this.#explain()));
  }

  /** Builds the indexes for real (inside the savepoint) and runs the statement: median execution time. */
  async measure(extraIndexes: readonly Candidate[]): Promise<number | undefined> {
    if (this.#parameterCount > 0 && !this.#params) return undefined;
    return this.#withIndexes(
      extraIndexes,
      async () => {
        const times: number[] = [];
        const started = performance.now();
        for (let run = 0; run <= 5; run++) {
          const plan = await this.#explain(true);
          if (run > 0 && typeof plan.executionTime === 'number') times.push(plan.executionTime);
          if (performance.now() - started > 1000 && times.length >= 1) break;
        }
        // The fastest sample: other work on the machine only ever adds time, so the minimum is the
        // statement's own cost, for the baseline and the candidate alike.
        return times.length > 0 ? Math.min(...times) : undefined;
      },
      true,
    );
  }

  async #withIndexes<T>(extraIndexes: readonly Candidate[], work: () => Promise<T>, real = false): Promise<T> {
    await this.#client.query('savepoint ai_stack_whatif');
    let hypothetical = false;
    try {
      for (const candidate of extraIndexes) {
        const ddl = `create index on ${quote(candidate.relation.schema)}.${quote(candidate.relation.name)} ${indexDefinition(candidate)}`;
        if (this.#hypopg && !real && (candidate.method ?? 'btree') === 'btree') {
          hypothetical = true;
          await this.#client.query(`select * from ${this.#hypopg}.hypopg_create_index($1)`, [ddl]);
        } else await this.#client.query(ddl);
      }
      return await work();
    } finally {
      // Back out of a failed statement first: nothing else may run in an aborted transaction.
      await this.#client.query('rollback to savepoint ai_stack_whatif');
      if (hypothetical) await this.#client.query(`select ${this.#hypopg}.hypopg_reset()`);
    }
  }

  #explain(analyze = false): Promise<PlanNode & { executionTime?: number }> {
    return explainPostgres(this.#client, this.#sql, this.#parameterCount, this.#params, analyze);
  }
}

function summarise(root: PlanNode): PlanCost {
  const fullScans: string[] = [];
  let sorts = false;
  const walk = (node: PlanNode): void => {
    if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) fullScans.push(node['Relation Name']);
    if (node['Node Type'] === 'Sort' || node['Node Type'] === 'Incremental Sort') sorts = true;
    node.Plans?.forEach(walk);
  };
  walk(root);
  return { cost: root['Total Cost'] ?? Number.NaN, fullScans, sorts, plan: root };
}

/**
 * The plan of one statement as JSON. With $n placeholders it is the generic plan (PREPARE +
 * plan_cache_mode=force_generic_plan, as Dexter does on PostgreSQL < 16), so no parameter value is
 * needed or shown. `client` must be inside a transaction (the plan_cache_mode setting is local).
 */
export async function explainPostgres(
  client: pg.PoolClient,
  sqlText: string,
  parameterCount = placeholderCount(sqlText),
  params?: readonly unknown[],
  analyze = false,
): Promise<PlanNode & { executionTime?: number }> {
  // json comes back as text (see the shared type parsers), so the plan is parsed here.
  const options = analyze ? '(analyze, timing off, summary on, format json)' : '(format json)';
  let rows: { 'QUERY PLAN': string }[];
  if (parameterCount === 0) {
    ({ rows } = await client.query(`explain ${options} ${sqlText}`));
  } else {
    await client.query(`set local plan_cache_mode = ${params ? 'force_custom_plan' : 'force_generic_plan'}`);
    await client.query(`prepare ai_stack_explain as ${sqlText}`);
    try {
      const values = Array.from({ length: parameterCount }, (_, i) => literal(client, params?.[i]));
      ({ rows } = await client.query(`explain ${options} execute ai_stack_explain(${values.join(', ')})`));
    } finally {
      await client.query('deallocate ai_stack_explain');
    }
  }
  const text = rows[0]?.['QUERY PLAN'];
  const parsed = text === undefined ? undefined : (JSON.parse(text) as { Plan?: PlanNode; 'Execution Time'?: number }[])[0];
  if (!parsed?.Plan) throw new Error('EXPLAIN returned no plan');
  return parsed['Execution Time'] === undefined ? parsed.Plan : { ...parsed.Plan, executionTime: parsed['Execution Time'] };
}

/** EXECUTE takes no bind parameters, so values are quoted literals (untyped: PostgreSQL casts them to the parameter's type). */
function literal(client: pg.PoolClient, value: unknown): string {
  if (value === undefined || value === null) return 'null';
  return client.escapeLiteral(typeof value === 'string' ? value : JSON.stringify(value));
}

function placeholderCount(sqlText: string): number {
  return Math.max(0, ...[...sqlText.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** The schema hypopg lives in; installs it (for this transaction only) when available but not created. */
async function findHypopg(client: pg.PoolClient): Promise<string | undefined> {
  const find = async () =>
    (
      await client.query<{ schema: string }>(
        "select n.nspname::text as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'hypopg'",
      )
    ).rows[0]?.schema;
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
