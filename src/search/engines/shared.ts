import type { Analyzer } from '../analysis/index.ts';
import { highlight, markup, matchSpans } from '../highlight.ts';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { IndexedEntry, IndexStats, SearchFilters, SearchHit, SearchQuery } from '../types.ts';
import { nearTerms } from '../fuzzy.ts';
import type { QueryPlan, TermMatch } from '../query/plan.ts';
import { ValidationError } from '../../shared/errors.ts';

export const MAX_LIMIT = 100;
export const MAX_OFFSET = 10_000;

/** Limit and offset within bounds, with a 400 naming the field otherwise. */
export function page(query: SearchQuery): { limit: number; offset: number } {
  const limit = query.limit ?? 10;
  const offset = query.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new ValidationError(`limit must be a whole number from 1 to ${MAX_LIMIT}`, [{ field: 'limit', message: `1..${MAX_LIMIT}` }]);
  if (!Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET)
    throw new ValidationError(`offset must be a whole number from 0 to ${MAX_OFFSET}`, [{ field: 'offset', message: `0..${MAX_OFFSET}` }]);
  return { limit, offset };
}

export function checkFilters(filters: SearchFilters | undefined): void {
  for (const field of ['dateFrom', 'dateTo'] as const) {
    const value = filters?.[field];
    if (value !== undefined && Number.isNaN(Date.parse(value)))
      throw new ValidationError(`${field} is not a date: ${JSON.stringify(value).slice(0, 40)}`, [{ field, message: 'expected an ISO-8601 date' }]);
  }
}

export interface StoredRow {
  id: string;
  document_id: string;
  title: string;
  body: string;
  type: string | null;
  language: string | null;
  date: string | null;
  tags: string[];
  score: number;
}

/** A stored row as a hit, highlighted from its original text (the same code for every engine). */
export function toHit(analyzer: Analyzer, plan: QueryPlan, row: StoredRow, explain?: { engine: string; engineQuery: string }): SearchHit {
  const body = highlight(analyzer, plan, row.body);
  const hit: SearchHit = {
    id: row.id,
    documentId: row.document_id,
    title: row.title,
    score: Math.round(row.score * 1e6) / 1e6,
    tags: row.tags,
    highlight: body,
    titleHighlight: markup(row.title, matchSpans(analyzer, plan, row.title)),
  };
  if (row.date !== null) hit.date = row.date;
  if (row.type !== null) hit.type = row.type;
  if (row.language !== null) hit.language = row.language;
  if (explain) {
    const matched = new Set<string>();
    for (const token of analyzer.analyze(`${row.title}\n${row.body}`, 'index')) if (plan.highlightTerms.has(token.term)) matched.add(token.term);
    hit.explain = { ...explain, matchedTerms: [...matched] };
  }
  return hit;
}

export function counts(rows: ReadonlyArray<{ value: string | null; n: number | string }>): Record<string, number> {
  return Object.fromEntries(rows.filter((r) => r.value !== null).map((r) => [r.value as string, Number(r.n)]));
}

/** The first `limit` distinct documents of rows already in rank order. */
export function distinctTitles(rows: ReadonlyArray<{ title: string; document_id: string }>, limit: number): Array<{ text: string; documentId: string }> {
  const seen = new Map<string, string>();
  for (const row of rows) if (!seen.has(row.document_id)) seen.set(row.document_id, row.title);
  return [...seen].slice(0, Math.min(Math.max(1, limit), 20)).map(([documentId, text]) => ({ text, documentId }));
}

/** How an engine reads its vocabulary for typo tolerance. */
export interface Vocabulary {
  /** Whether any of these terms is indexed. */
  has(terms: readonly string[]): Promise<boolean>;
  /** Indexed terms starting with `first` whose length is within [min, max], most frequent first. */
  candidates(first: string, min: number, max: number): Promise<string[]>;
}

/** Each typo-tolerant match of a plan with the words nearSpellings asks the vocabulary about (its term and its surface). */
function fuzzyMatches(plan: QueryPlan): Array<{ match: TermMatch; surface: string; words: [string, string] }> {
  return plan.groups
    .flatMap((group) => group.alternatives)
    .filter((a) => a.fuzzy)
    .map((match) => {
      const surface = match.surface ?? match.terms[0] ?? '';
      return { match, surface, words: [match.terms[0] ?? surface, surface] };
    });
}

/** Every word nearSpellings will look up with `has`: an engine may read them all at once beforehand. */
export function fuzzyWords(plan: QueryPlan): string[] {
  return [...new Set(fuzzyMatches(plan).flatMap((m) => m.words))];
}

/** Latin words missing from the index, widened with the near spellings that are in it (never CJK). */
export async function nearSpellings(analyzer: Analyzer, plan: QueryPlan, vocabulary: Vocabulary): Promise<Map<TermMatch, string[]>> {
  const extra = new Map<TermMatch, string[]>();
  for (const { match: m, surface, words } of fuzzyMatches(plan)) {
    if (await vocabulary.has(words)) continue;
    const candidates = await vocabulary.candidates(surface.slice(0, 1), surface.length - 2, surface.length + 2);
    // A near spelling of the word as typed, searched in the form indexing gave it (stemmed).
    const near = nearTerms(surface, candidates).flatMap((word) =>
      analyzer
        .analyze(word, 'query')
        .map((x) => x.term)
        .slice(0, 1),
    );
    if (near.length > 0) extra.set(m, [...new Set(near)]);
  }
  return extra;
}

/** Every entry, in pages of ids after the last one seen (keyset pagination). */
export async function* pagedEntries(page: (after: string) => Promise<IndexedEntry[]>): AsyncIterable<IndexedEntry[]> {
  let after = '';
  for (;;) {
    const rows = await page(after);
    if (rows.length === 0) return;
    yield rows;
    after = rows.at(-1)?.id ?? after;
  }
}

/** Index statistics from a count of the units table and the engine's own count of distinct terms. */
export async function indexStats(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the search tables are not part of the app's typed schema
  db: Kysely<any>,
  engine: string,
  g: number,
  docsTable: string,
  termCount: RawBuilder<{ n: number | string }>,
): Promise<IndexStats> {
  const docs = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(docsTable)}`.execute(db);
  const terms = await termCount.execute(db);
  return { engine, documents: Number(docs.rows[0]?.n ?? 0), terms: Number(terms.rows[0]?.n ?? 0), generation: g };
}
