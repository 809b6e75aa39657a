import { ValidationError } from '../../shared/errors.ts';

/** A query clause as the user wrote it: a word or a "quoted phrase", maybe negated, maybe a prefix. */
export interface ParsedClause {
  text: string;
  phrase: boolean;
  negate: boolean;
  prefix: boolean;
}

/** Clauses are ANDed; each group holds clauses joined by OR. */
export type ParsedQuery = ParsedClause[][];

export const MAX_QUERY_LENGTH = 1_000;
export const MAX_CLAUSES = 32;

// Control characters are never meaningful in a query; they are dropped, not treated as syntax.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/gu;

/**
 * Our query syntax, the same for every engine (no engine syntax reaches an engine): words, "phrases",
 * `-excluded`, `prefix*`, and `OR` between clauses (AND is implied). An unbalanced quote is closed at the
 * end of the query, as search boxes do, rather than refused.
 */
export function parseQuery(input: string): ParsedQuery {
  if (input.length > MAX_QUERY_LENGTH) {
    throw new ValidationError(`The query is ${input.length} characters long; at most ${MAX_QUERY_LENGTH} are searched`, [
      { field: 'q', message: `longer than ${MAX_QUERY_LENGTH} characters` },
    ]);
  }
  const text = input.normalize('NFKC').replace(CONTROL, ' ');
  const groups: ParsedQuery = [];
  let orNext = false;
  const add = (clause: ParsedClause): void => {
    const last = groups.at(-1);
    if (orNext && last) last.push(clause);
    else groups.push([clause]);
    orNext = false;
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/u.test(ch)) {
      i++;
      continue;
    }
    const negate = ch === '-' && i + 1 < text.length && !/\s/u.test(text[i + 1] as string);
    if (negate) i++;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      const end = close === -1 ? text.length : close;
      const body = text.slice(i + 1, end).trim();
      i = end + 1;
      const prefix = text[i] === '*';
      if (prefix) i++;
      if (body.length > 0) add({ text: body, phrase: true, negate, prefix });
      continue;
    }
    let end = i;
    while (end < text.length && !/\s/u.test(text[end] as string) && text[end] !== '"') end++;
    let word = text.slice(i, end);
    i = end;
    if (word === 'OR' && !negate) {
      orNext = groups.length > 0;
      continue;
    }
    const prefix = word.endsWith('*');
    word = word.replace(/\*+$/u, '');
    if (word.length > 0) add({ text: word, phrase: false, negate, prefix });
  }
  if (groups.flat().length > MAX_CLAUSES) {
    throw new ValidationError(`The query has ${groups.flat().length} terms; at most ${MAX_CLAUSES} are allowed`, [
      { field: 'q', message: `more than ${MAX_CLAUSES} terms` },
    ]);
  }
  return groups;
}
