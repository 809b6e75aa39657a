import type { QueryPlan, TermMatch } from '../../query/plan.ts';

/** FTS5 string literal: every term is quoted, so no user text is ever FTS5 syntax. */
const quote = (term: string): string => `"${term.replaceAll('"', '""')}"`;

function matchOf(m: TermMatch): string {
  const columns = m.field === 'text' ? '{title body sub}' : '{bigram}';
  return `${columns} : ${quote(m.terms.join(' '))}${m.prefix ? ' *' : ''}`;
}

/**
 * The plan as an FTS5 MATCH expression: alternatives ORed, exclusions as NOT, and the groups ANDed
 * (`all`) or ORed (`any`: what ranks below the documents that match every group).
 */
export function compileMatch(plan: QueryPlan, extra: ReadonlyMap<TermMatch, readonly string[]> = new Map(), mode: 'all' | 'any' = 'all'): string {
  const group = (alternatives: readonly TermMatch[]): string => {
    const parts = alternatives.flatMap((m) => [matchOf(m), ...(extra.get(m) ?? []).map((term) => matchOf({ ...m, terms: [term] }))]);
    return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' OR ')})`;
  };
  const positive = plan.groups.filter((g) => !g.negate).map((g) => group(g.alternatives));
  const negative = plan.groups.filter((g) => g.negate).map((g) => group(g.alternatives));
  const joined = mode === 'all' || positive.length === 1 ? positive.join(' AND ') : `(${positive.join(' OR ')})`;
  return [joined, ...negative].join(' NOT ');
}
