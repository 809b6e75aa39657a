import type { estypes } from '@elastic/elasticsearch';
import type { PlanGroup, QueryPlan, TermMatch } from '../../query/plan.ts';
import type { SearchFilters } from '../../types.ts';

/** Field boosts as SQLite's bm25 column weights: title 8, body 1, sub-words 0.3; bigrams match but do not score. */
const TEXT_FIELDS = [
  ['title_terms', 8],
  ['body_terms', 1],
  ['sub_terms', 0.3],
] as const;

function matchOf(m: TermMatch, extra: readonly string[]): estypes.QueryDslQueryContainer[] {
  const phrase = (field: string, terms: readonly string[], boost: number): estypes.QueryDslQueryContainer =>
    m.prefix ? { match_phrase_prefix: { [field]: { query: terms.join(' '), boost } } } : { match_phrase: { [field]: { query: terms.join(' '), boost } } };
  if (m.field === 'bigram') return [{ constant_score: { filter: phrase('bigram_terms', m.terms, 1), boost: 0 } }];
  return [m.terms, ...extra.map((t) => [t])].flatMap((terms) => TEXT_FIELDS.map(([field, boost]) => phrase(field, terms, boost)));
}

function groupQuery(group: PlanGroup, extra: ReadonlyMap<TermMatch, readonly string[]>): estypes.QueryDslQueryContainer {
  return { bool: { should: group.alternatives.flatMap((m) => matchOf(m, extra.get(m) ?? [])), minimum_should_match: 1 } };
}

/** The plan as a bool query: groups required (`all`) or any of them (`any`), exclusions as must_not. */
export function compileQuery(
  plan: QueryPlan,
  extra: ReadonlyMap<TermMatch, readonly string[]>,
  mode: 'all' | 'any',
  filters: SearchFilters | undefined,
): estypes.QueryDslQueryContainer {
  const positive = plan.groups.filter((g) => !g.negate).map((g) => groupQuery(g, extra));
  const negative = plan.groups.filter((g) => g.negate).map((g) => groupQuery(g, extra));
  return {
    bool: {
      ...(mode === 'all' ? { must: positive } : { should: positive, minimum_should_match: 1 }),
      must_not: negative,
      filter: filterQueries(filters),
    },
  };
}

function filterQueries(filters: SearchFilters | undefined): estypes.QueryDslQueryContainer[] {
  const out: estypes.QueryDslQueryContainer[] = [];
  if (filters?.type?.length) out.push({ terms: { type: [...filters.type] } });
  if (filters?.language?.length) out.push({ terms: { language: [...filters.language] } });
  for (const tag of filters?.tags ?? []) out.push({ term: { tags: tag } });
  if (filters?.dateFrom || filters?.dateTo) {
    out.push({
      range: {
        date: {
          ...(filters.dateFrom ? { gte: new Date(filters.dateFrom).toISOString() } : {}),
          ...(filters.dateTo ? { lte: new Date(filters.dateTo).toISOString() } : {}),
        },
      },
    });
  }
  return out;
}
