import type { Analyzer } from './analysis/index.ts';
import { highlight, markup, matchSpans } from './highlight.ts';
import { parseQuery } from './query/parse.ts';
import type { QueryPlan } from './query/plan.ts';
import type { SearchDocument, SearchFilters, SearchHit, SearchResult } from './types.ts';

/** Reciprocal rank fusion constant (Cormack et al.; Elasticsearch's default). */
export const RRF_K = 60;

/**
 * The text a vector source embeds: the query's positive words and phrases without our syntax (quotes,
 * `OR`, `*`), since an embedder would read `-slow` as a wish for "slow".
 */
export function vectorText(q: string): string {
  return parseQuery(q)
    .flatMap((group) => group.filter((clause) => !clause.negate).map((clause) => clause.text))
    .join(' ');
}

/** Whether a unit found by meaning may be shown: the query's filters, and none of its excluded words. */
export function admissible(analyzer: Analyzer, plan: QueryPlan, unit: SearchDocument, filters: SearchFilters | undefined): boolean {
  if (!passes(unit, filters)) return false;
  const excluded = plan.groups.filter((g) => g.negate).flatMap((g) => g.alternatives.filter((a) => a.field === 'text'));
  if (excluded.length === 0) return true;
  const terms = new Set(analyzer.analyze(`${unit.title}\n${unit.body}`, 'index').map((t) => t.term));
  return !excluded.some((a) => a.terms.every((term) => terms.has(term)));
}

function passes(unit: SearchDocument, filters: SearchFilters | undefined): boolean {
  if (!filters) return true;
  if (filters.type?.length && !filters.type.includes(unit.type ?? '')) return false;
  if (filters.language?.length && !filters.language.includes(unit.language ?? '')) return false;
  if (filters.tags?.some((tag) => !(unit.tags ?? []).includes(tag))) return false;
  const date = unit.date ? Date.parse(unit.date) : Number.NaN;
  if (filters.dateFrom && !(date >= Date.parse(filters.dateFrom))) return false;
  if (filters.dateTo && !(date <= Date.parse(filters.dateTo))) return false;
  return true;
}

export interface FuseInput {
  analyzer: Analyzer;
  plan: QueryPlan;
  /** The lexical ranking's first hits (absent in `mode=vector`). */
  lexical: SearchResult | undefined;
  /** Unit ids by meaning, nearest first, already admissible. */
  nearest: readonly string[];
  /** The units behind `nearest`, for hits only the vector ranking found. */
  units: ReadonlyMap<string, SearchDocument>;
  offset: number;
  limit: number;
  /** The vector ranking's weight in the fusion, the lexical one's being 1 (weighted RRF). */
  vectorWeight?: number;
}

/**
 * Reciprocal rank fusion of the lexical and the vector ranking: each list adds 1 / (k + rank) to a unit's
 * score. A unit only the vectors found is highlighted for whatever query words it does contain.
 * `total` counts the lexical matches and the neighbours outside the lexical hits fetched, so it is an upper
 * bound when the lexical matches run past the fetched depth.
 */
export function fuse(input: FuseInput): SearchResult {
  const scores = new Map<string, number>();
  const add = (id: string, rank: number, weight: number) => scores.set(id, (scores.get(id) ?? 0) + weight / (RRF_K + rank + 1));
  input.lexical?.hits.forEach((hit, rank) => add(hit.id, rank, 1));
  const vectorWeight = input.vectorWeight ?? 1;
  input.nearest.forEach((id, rank) => add(id, rank, vectorWeight));
  const ranked = [...scores].sort((a, b) => b[1] - a[1]);
  const known = new Map<string, SearchHit>((input.lexical?.hits ?? []).map((h) => [h.id, h]));
  const hits = ranked.slice(input.offset, input.offset + input.limit).flatMap(([id, score]) => {
    const hit = known.get(id) ?? vectorHit(input, id);
    return hit ? [{ ...hit, score: Math.round(score * 1e6) / 1e6 }] : [];
  });
  const vectorOnly = input.nearest.filter((id) => !known.has(id)).length;
  return { total: (input.lexical?.total ?? 0) + vectorOnly, hits, facets: input.lexical?.facets ?? {} };
}

function vectorHit(input: FuseInput, id: string): SearchHit | undefined {
  const unit = input.units.get(id);
  if (!unit) return undefined;
  const hit: SearchHit = {
    id,
    documentId: unit.documentId,
    title: unit.title,
    score: 0,
    tags: [...(unit.tags ?? [])],
    highlight: highlight(input.analyzer, input.plan, unit.body),
    titleHighlight: markup(unit.title, matchSpans(input.analyzer, input.plan, unit.title)),
  };
  if (unit.date !== undefined) hit.date = unit.date;
  if (unit.type !== undefined) hit.type = unit.type;
  if (unit.language !== undefined) hit.language = unit.language;
  return hit;
}
