/** An index the advisor considers: table and ordered columns. */
export interface Candidate {
  table: string;
  columns: string[];
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

/** What-if planning for one statement: cost with extra (hypothetical or rolled-back) indexes. */
export interface WhatIfPlanner {
  readonly dialect: 'sqlite' | 'postgres';
  /** How candidates are verified, for the report. */
  readonly method: string;
  columnsOf(table: string): readonly string[];
  indexesOf(table: string): readonly (readonly string[])[];
  /** Estimated rows (statistics, not a count), to skip tables too small for an index to matter. */
  rowCount(table: string): Promise<number>;
  cost(extraIndexes: readonly Candidate[]): Promise<PlanCost>;
}

export function createIndexStatement(dialect: 'sqlite' | 'postgres', candidate: Candidate): string {
  const name = `${candidate.table}_${candidate.columns.join('_')}_idx`;
  const concurrently = dialect === 'postgres' ? 'concurrently ' : '';
  return `create index ${concurrently}${name} on ${candidate.table} (${candidate.columns.join(', ')})`;
}
