import type { ExtractedDocument, OutlineEntry } from '../extract/types.ts';
import { detectLanguage, type Language } from './language.ts';

/** What `extract_document_metadata` stores on the document (its `metadata.extracted`). */
export interface DocumentMetadata {
  type: string;
  title: string | null;
  author: string | null;
  language: Language;
  pages: number | null;
  words: number;
  /** Unicode code points, whitespace excluded. */
  characters: number;
  created: string | null;
  modified: string | null;
  encoding: string | null;
  outline: OutlineEntry[];
}

const wordSegmenter = new Intl.Segmenter('zh', { granularity: 'word' });

/**
 * Words as ICU segments them (dictionary-based for Chinese, so 中华人民共和国 is one word, not seven), which
 * counts Chinese, English and mixed text on one scale.
 */
export function countWords(text: string): number {
  let words = 0;
  for (const segment of wordSegmenter.segment(text)) if (segment.isWordLike) words++;
  return words;
}

export function countCharacters(text: string): number {
  let count = 0;
  for (const ch of text) if (!/\s/.test(ch)) count++;
  return count;
}

export function documentMetadata(extracted: ExtractedDocument, text: string): DocumentMetadata {
  const outline = (extracted.outline ?? extracted.blocks.filter((b) => b.kind === 'heading').map((b) => ({ level: b.level ?? 1, title: b.text, ...(b.page ? { page: b.page } : {}) }))).slice(0, 500);
  return {
    type: extracted.type,
    title: extracted.title?.slice(0, 500) ?? null,
    author: extracted.author?.slice(0, 500) ?? null,
    language: detectLanguage(text),
    pages: extracted.pageCount ?? null,
    words: countWords(text),
    characters: countCharacters(text),
    created: extracted.created ?? null,
    modified: extracted.modified ?? null,
    encoding: extracted.encoding ?? null,
    outline: outline.map((o) => ({ ...o, title: o.title.slice(0, 300) })),
  };
}
