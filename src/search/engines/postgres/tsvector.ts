import type { AnalysedFields } from '../../document-fields.ts';
import type { QueryPlan, TermMatch } from '../../query/plan.ts';

/**
 * Our own tokens written as a tsvector literal (never through PostgreSQL's text parser, which would
 * re-split Chinese by the server's locale). Fields get weights (A title, B body, C sub-words, D bigrams and
 * unstemmed words) and position ranges far apart, so a phrase never runs from one field into the next.
 * D lexemes also carry a mark (a control character analysis never yields) so that a query tells the fields apart by
 * lexeme, not by weight: a tsquery with weights makes the GIN index recheck every row it finds, reading its tsvector.
 */
const quote = (term: string): string => `'${term.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
const MAX_POSITION = 16_383;
export const D_MARK = '\u0001';

export function tsvectorLiteral(fields: AnalysedFields): string {
  const entries = new Map<string, string[]>();
  let position = 1;
  const add = (terms: readonly string[], weight: 'A' | 'B' | 'C' | 'D'): void => {
    for (const term of terms) {
      const lexeme = weight === 'D' ? `${D_MARK}${term}` : term;
      const list = entries.get(lexeme) ?? [];
      list.push(`${Math.min(position++, MAX_POSITION)}${weight}`);
      entries.set(lexeme, list);
    }
    position += 100;
  };
  add(
    fields.title.map((t) => t.term),
    'A',
  );
  add(
    fields.body.map((t) => t.term),
    'B',
  );
  add(
    fields.sub.map((t) => t.term),
    'C',
  );
  add(
    fields.bigrams.map((t) => t.term),
    'D',
  );
  add(fields.words, 'D');
  return [...entries].map(([term, positions]) => `${quote(term)}:${positions.join(',')}`).join(' ');
}

/** BM25's document length: every token the tsvector holds a position for, as FTS5 counts every column's. */
export function indexedLength(fields: AnalysedFields): number {
  return fields.title.length + fields.body.length + fields.sub.length + fields.bigrams.length + fields.words.length;
}

function matchOf(m: TermMatch): string {
  const mark = m.field === 'text' ? '' : D_MARK;
  return m.terms.map((term, k) => `${quote(`${mark}${term}`)}${m.prefix && k === m.terms.length - 1 ? ':*' : ''}`).join(' <-> ');
}

/** One group's alternatives as a tsquery literal. */
export function groupQuery(alternatives: readonly TermMatch[], extra: ReadonlyMap<TermMatch, readonly string[]>): string {
  const parts = alternatives.flatMap((m) => [matchOf(m), ...(extra.get(m) ?? []).map((term) => matchOf({ ...m, terms: [term] }))]);
  return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' | ')})`;
}

/** The plan as a tsquery literal: alternatives ORed, exclusions as & !, groups ANDed (`all`) or ORed (`any`). */
export function compileTsquery(plan: QueryPlan, extra: ReadonlyMap<TermMatch, readonly string[]> = new Map(), mode: 'all' | 'any' = 'all'): string {
  const positive = plan.groups.filter((g) => !g.negate).map((g) => groupQuery(g.alternatives, extra));
  const negative = plan.groups.filter((g) => g.negate).map((g) => `!${groupQuery(g.alternatives, extra)}`);
  const joined = mode === 'all' || positive.length === 1 ? positive.join(' & ') : `(${positive.join(' | ')})`;
  return [joined, ...negative].join(' & ');
}
