import { ValidationError } from '../../shared/errors.ts';
import type { Analyzer, Token } from '../analysis/index.ts';
import { parseQuery, type ParsedClause } from './parse.ts';

/** Consecutive analysed terms to find in one kind of field. */
export interface TermMatch {
  /** `text`: the segmented words and their sub-words (title, body); `bigram`: the CJK bigram field. */
  field: 'text' | 'bigram';
  terms: string[];
  /** The last term is a prefix. */
  prefix: boolean;
  /** A Latin-script word an engine may widen with near spellings when the index lacks it (never CJK). */
  fuzzy: boolean;
  /** For a fuzzy match: the word as typed (unstemmed), which near spellings are measured against. */
  surface?: string;
}

/** Alternatives joined by OR; a plan's groups are joined by AND, negated ones by AND NOT. */
export interface PlanGroup {
  negate: boolean;
  alternatives: TermMatch[];
}

export interface QueryPlan {
  groups: PlanGroup[];
  /** Every analysed term a hit may be highlighted for (synonyms included). */
  highlightTerms: Set<string>;
  /** Terms the user typed as prefixes (`data*`). */
  highlightPrefixes: string[];
  /** Normalised CJK strings whose every occurrence is marked, however the text was segmented. */
  highlightStrings: string[];
}

const FUZZY_MIN_LENGTH = 4;

function bigramsOf(analyzer: Analyzer, text: string): string[] {
  return analyzer.bigrams(text).map((t) => t.term);
}

function wordAlternatives(analyzer: Analyzer, token: Token, prefix: boolean): TermMatch[] {
  const alternatives: TermMatch[] = [];
  const group = analyzer.synonymGroupOfTerm(token.term);
  const forms = group ? group.map((synonym) => analyzer.analyze(synonym, 'query').map((t) => t.term)) : [[token.term]];
  for (const terms of forms) {
    if (terms.length === 0) continue;
    const fuzzy = token.kind === 'latin' && token.surface !== undefined && terms.length === 1 && token.surface.length >= FUZZY_MIN_LENGTH && !prefix;
    alternatives.push(fuzzy ? { field: 'text', terms, prefix, fuzzy, surface: token.surface } : { field: 'text', terms, prefix, fuzzy });
  }
  // Recall when indexing segmented a text differently from this query: the word's characters in order.
  if (token.kind === 'cjk' && token.term.length > 1)
    alternatives.push({ field: 'bigram', terms: bigramsOf(analyzer, token.term), prefix: false, fuzzy: false });
  return alternatives;
}

function clauseGroups(analyzer: Analyzer, clause: ParsedClause): PlanGroup[] {
  const tokens = analyzer.analyze(clause.text, 'query');
  if (tokens.length === 0) return [];
  if (clause.phrase) {
    const alternatives: TermMatch[] = [{ field: 'text', terms: tokens.map((t) => t.term), prefix: clause.prefix, fuzzy: false }];
    if (tokens.every((t) => t.kind === 'cjk') && clause.text.length > 1)
      alternatives.push({ field: 'bigram', terms: bigramsOf(analyzer, clause.text), prefix: false, fuzzy: false });
    return [{ negate: clause.negate, alternatives }];
  }
  // A word that analyses into several (数据分析平台 → 数据 分析 平台): each must match.
  return tokens.map((token, k) => ({ negate: clause.negate, alternatives: wordAlternatives(analyzer, token, clause.prefix && k === tokens.length - 1) }));
}

/**
 * Turns a user query into an engine-neutral plan with the same analysis as indexing. Engines compile it
 * to their own syntax with every term quoted, so no user text is ever engine syntax.
 */
export function planQuery(analyzer: Analyzer, q: string): QueryPlan {
  const groups: PlanGroup[] = [];
  for (const orGroup of parseQuery(q)) {
    const expanded = orGroup.map((clause) => clauseGroups(analyzer, clause));
    if (orGroup.length === 1) {
      groups.push(...(expanded[0] ?? []));
      continue;
    }
    // a OR b: one group whose alternatives are each side's (a multi-word side must match whole, as a phrase).
    const alternatives = expanded
      .filter((parts) => parts.length > 0)
      .flatMap((parts) =>
        parts.length === 1
          ? (parts[0]?.alternatives ?? [])
          : [{ field: 'text' as const, terms: parts.flatMap((p) => p.alternatives[0]?.terms ?? []), prefix: false, fuzzy: false }],
      )
      .filter((a) => a.terms.length > 0);
    if (alternatives.length > 0) groups.push({ negate: false, alternatives });
  }
  if (!groups.some((g) => !g.negate)) {
    throw new ValidationError('The query has nothing to search for: add a word that is not excluded', [{ field: 'q', message: 'no searchable term' }]);
  }
  const positive = groups.filter((g) => !g.negate).flatMap((g) => g.alternatives);
  const text = positive.filter((a) => a.field === 'text');
  return {
    groups,
    highlightTerms: new Set(text.flatMap((a) => (a.prefix ? a.terms.slice(0, -1) : a.terms))),
    highlightPrefixes: text
      .filter((a) => a.prefix)
      .map((a) => a.terms.at(-1) ?? '')
      .filter((t) => t.length > 0),
    highlightStrings: positive.filter((a) => a.field === 'bigram').map((a) => joinBigrams(a.terms)),
  };
}

/** 数据 据分 分析 → 数据分析 */
function joinBigrams(bigrams: string[]): string {
  return bigrams.map((b, k) => (k === 0 ? b : b.slice(1))).join('');
}
