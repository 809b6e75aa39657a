import type { Candidate, ExistingIndex, IndexColumn } from './planner.ts';
import type { TableUsage } from './usage.ts';

const MAX_EQUALITY = 3;
const MAX_ORDER = 4;

/**
 * Candidate indexes for one table, the way Dexter, PgHero and SQLite's .expert build them:
 * single columns; equality columns together (both orders of two); equality columns followed by one
 * range column, by the whole ORDER BY (directions kept) or by the GROUP BY; join column plus a
 * range/sort column; and, on PostgreSQL with pg_trgm, a GIN trigram index for LIKE '%…' / ILIKE.
 * Every candidate is then judged by the planner (and on SQLite by the clock), so a superfluous one
 * costs time, never a wrong proposal.
 */
export function candidateIndexes(usage: TableUsage, options: { trigramOpclass?: string }): Candidate[] {
  const relation = usage.relation;
  const equality = usage.equality.slice(0, MAX_EQUALITY).map((name) => ({ name }));
  const lists: IndexColumn[][] = [];
  const add = (columns: IndexColumn[]): void => {
    const distinct = columns.filter((c, i) => columns.findIndex((o) => o.name === c.name) === i);
    if (distinct.length > 0) lists.push(distinct);
  };
  for (const name of new Set([
    ...usage.equality,
    ...usage.range,
    ...usage.join,
    ...usage.orders.map((o) => o[0]?.name ?? ''),
    ...usage.groups.map((g) => g[0] ?? ''),
  ])) {
    if (name) add([{ name }]);
  }
  if (equality.length >= 2) {
    add(equality);
    add([equality[1] ?? { name: '' }, equality[0] ?? { name: '' }, ...equality.slice(2)]);
  }
  for (const name of usage.range.slice(0, 2)) add([...equality, { name }]);
  for (const order of usage.orders) {
    const columns = order.slice(0, MAX_ORDER);
    add([...equality.filter((e) => !columns.some((c) => c.name === e.name)), ...columns]);
    if (equality.length > 0 && columns.length > 1) add(columns);
  }
  for (const group of usage.groups) {
    const columns = group.slice(0, MAX_ORDER).map((name) => ({ name }));
    add([...equality.filter((e) => !group.includes(e.name)), ...columns]);
  }
  for (const join of usage.join) {
    for (const name of [...usage.range, ...usage.orders.map((o) => o[0]?.name ?? '')].slice(0, 1)) if (name && name !== join) add([{ name: join }, { name }]);
    if (equality.length > 0) add([...equality, { name: join }]);
  }

  const candidates: Candidate[] = lists.filter((c) => c.every((col) => col.name !== '')).map((columns) => ({ relation, columns }));
  if (options.trigramOpclass) {
    for (const like of usage.like) {
      if (like.leadingWildcard || like.ilike) candidates.push({ relation, columns: [{ name: like.column }], method: 'gin', opclass: options.trigramOpclass });
    }
  }
  const seen = new Set<string>();
  return candidates.filter((candidate) => {
    const key = `${candidate.method ?? 'btree'}:${candidate.columns.map((c) => `${c.name}${c.desc ? '-' : '+'}`).join(',')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return !relation.indexes.some((index) => covers(index, candidate));
  });
}

/**
 * An existing index already offers what the candidate would: same access method, and the
 * candidate's columns are its leading columns with the same (or all reversed) directions.
 * A BRIN or GIN index on the same column does not make a btree redundant.
 */
export function covers(index: ExistingIndex, candidate: Candidate): boolean {
  const method = candidate.method ?? 'btree';
  if (index.method !== method) return false;
  if (method !== 'btree')
    return index.columns[0] === candidate.columns[0]?.name && (index.opclasses[0] ?? '').endsWith(candidate.opclass?.split('.').at(-1) ?? '');
  if (candidate.columns.length > index.columns.length) return false;
  const same = candidate.columns.every((c, i) => index.columns[i] === c.name && Boolean(c.desc) === Boolean(index.desc[i]));
  const reversed = candidate.columns.every((c, i) => index.columns[i] === c.name && Boolean(c.desc) !== Boolean(index.desc[i]));
  return same || reversed;
}
