import MiniSearch from 'minisearch';
import type { SearchDocument } from '../../src/search/index.ts';

const HAN = /\p{Script=Han}/u;

/**
 * The tokenizer MiniSearch's documentation asks for with CJK text (its default splits on spaces and
 * punctuation, which Chinese does not have): overlapping character bigrams of every Han run (a single
 * character alone), lower-cased words elsewhere. The same function tokenizes queries.
 */
export function bigramTokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const run of text
    .normalize('NFKC')
    .toLowerCase()
    .match(/\p{Script=Han}+|[\p{L}\p{N}_]+/gu) ?? []) {
    if (!HAN.test(run)) {
      tokens.push(run);
      continue;
    }
    const chars = [...run];
    if (chars.length === 1) tokens.push(run);
    for (let i = 0; i + 1 < chars.length; i++) tokens.push(`${chars[i]}${chars[i + 1]}`);
  }
  return tokens;
}

export function miniSearchIndex(chunks: readonly SearchDocument[]): MiniSearch<SearchDocument> {
  const index = new MiniSearch<SearchDocument>({ fields: ['title', 'body'], idField: 'id', tokenize: bigramTokenize, searchOptions: { boost: { title: 8 } } });
  index.addAll(chunks);
  return index;
}
