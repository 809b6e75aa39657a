/** A table (or materialized view) an index can be built on, or a view the advisor looks through. */
export interface Relation {
  /** PostgreSQL: the schema; SQLite: the attached database name (`main` for the file itself). */
  schema: string;
  name: string;
  kind: 'table' | 'view' | 'matview';
  /** Whether the name resolves without its schema (PostgreSQL's search_path, SQLite's `main`). */
  visible: boolean;
  columns: readonly string[];
  indexes: readonly ExistingIndex[];
  /** A view's defining SELECT. */
  definition?: string;
}

export interface ExistingIndex {
  name: string;
  /** Access method: btree (SQLite: always), brin, gin, gist, hash, … */
  method: string;
  /** Key columns in order; null for an expression key. */
  columns: readonly (string | null)[];
  desc: readonly boolean[];
  /** Operator classes (PostgreSQL), e.g. gin_trgm_ops. */
  opclasses: readonly string[];
}

export interface IndexColumn {
  name: string;
  desc?: boolean;
}

/** An index the advisor considers. */
export interface Candidate {
  relation: Relation;
  columns: readonly IndexColumn[];
  /** Default btree. PostgreSQL trigram indexes are gin with `opclass`. */
  method?: 'btree' | 'gin' | 'gist';
  opclass?: string;
}

export interface PlanCost {
  /** PostgreSQL: the planner's total cost. SQLite: estimated rows visited (see sqlite-planner.ts). */
  cost: number;
  /** Tables read by a full scan. */
  fullScans: string[];
  /** Whether the plan sorts (explicit Sort / temp B-tree). */
  sorts: boolean;
  plan: unknown;
}

/** What-if planning for one statement: catalog facts, and cost or time with extra indexes. */
export interface WhatIfPlanner {
  readonly dialect: 'sqlite' | 'postgres';
  /** How candidates are verified, for the report. */
  readonly method: string;
  /** Looks a name up as the statement would (schema given or not); undefined when it is no relation. */
  describe(schema: string | undefined, name: string): Promise<Relation | undefined>;
  /** Estimated rows (statistics, not a count), to skip tables too small for an index to matter. */
  rowCount(relation: Relation): Promise<number>;
  /** Plans the statement once; throws ValidationError with the database's reason when it rejects it. */
  check(): Promise<PlanCost>;
  cost(extraIndexes: readonly Candidate[]): Promise<PlanCost>;
  /** Median wall time (ms) of running the statement with these indexes built for real, or undefined when it cannot run it. */
  measure?(extraIndexes: readonly Candidate[]): Promise<number | undefined>;
  /** Whether trigram (pg_trgm) operator classes exist, and in which schema. */
  readonly trigramSchema?: string;
}

export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

export function qualifiedName(relation: Relation): string {
  return relation.visible ? quoteIdentifier(relation.name) : `${quoteIdentifier(relation.schema)}.${quoteIdentifier(relation.name)}`;
}

/** `(a, b desc)` or `using gin (a gin_trgm_ops)`, identifiers quoted. */
export function indexDefinition(candidate: Candidate): string {
  const keys = candidate.columns.map((c) => `${quoteIdentifier(c.name)}${candidate.opclass ? ` ${candidate.opclass}` : ''}${c.desc ? ' desc' : ''}`).join(', ');
  const using = candidate.method && candidate.method !== 'btree' ? `using ${candidate.method} ` : '';
  return `${using}(${keys})`;
}

export function describeCandidate(candidate: Candidate): string {
  const method = candidate.method && candidate.method !== 'btree' ? `${candidate.method} trigram index` : 'btree';
  return `a ${method} on ${candidate.relation.name} (${candidate.columns.map((c) => `${c.name}${c.desc ? ' desc' : ''}`).join(', ')})`;
}

export function createIndexStatement(dialect: 'sqlite' | 'postgres', candidate: Candidate): string {
  const base = `${candidate.relation.name}_${candidate.columns.map((c) => c.name).join('_')}_${candidate.method === 'gin' || candidate.method === 'gist' ? 'trgm' : 'idx'}`;
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 63);
  // SQLite puts the schema on the index name, PostgreSQL on the table.
  const table = dialect === 'sqlite' ? quoteIdentifier(candidate.relation.name) : qualifiedName(candidate.relation);
  const indexName =
    dialect === 'sqlite' && !candidate.relation.visible ? `${quoteIdentifier(candidate.relation.schema)}.${quoteIdentifier(name)}` : quoteIdentifier(name);
  const concurrently = dialect === 'postgres' ? 'concurrently ' : '';
  return `create index ${concurrently}${indexName} on ${table} ${indexDefinition(candidate)}`;
}
