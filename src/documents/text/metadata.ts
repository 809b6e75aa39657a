import type { Block, ExtractedDocument, OutlineEntry } from '../extract/types.ts';
import { detectLanguage, LANGUAGE_SAMPLE_CHARS, type Language } from './language.ts';

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

/** What a reader knows about a file besides its blocks (title, author, dates…), known once it is read. */
export type DocumentInfo = Omit<ExtractedDocument, 'blocks'>;

const wordSegmenter = new Intl.Segmenter('zh', { granularity: 'word' });
const MAX_OUTLINE = 500;

/**
 * Words as ICU segments them (dictionary-based for Chinese, so 中华人民共和国 is one word, not seven), which
 * counts Chinese, English and mixed text on one scale.
 */
export function countWords(text: string): number {
  let words = 0;
  for (const segment of wordSegmenter.segment(text)) if (segment.isWordLike) words++;
  return words;
}

/** Code points that are not white space (JavaScript's `\s`), counted without a regular expression per character. */
export function countCharacters(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) continue; // the second half of a surrogate pair: counted with the first
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a)) continue;
    if (c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff) continue;
    count++;
  }
  return count;
}

/**
 * Metadata counted block by block while the text streams past: words, characters, headings, and the first
 * characters for language detection. Holds a bounded sample, never the text.
 */
export class MetadataCounter {
  #words = 0;
  #characters = 0;
  #sample = '';
  readonly #headings: OutlineEntry[] = [];

  /** `piece` is what the block added to the text (separator included), `block` the block it came from. */
  add(piece: string, block: Block, text: string): void {
    this.#words += countWords(text);
    this.#characters += countCharacters(text);
    if (this.#sample.length < LANGUAGE_SAMPLE_CHARS) this.#sample += piece.slice(0, LANGUAGE_SAMPLE_CHARS - this.#sample.length);
    if (block.kind === 'heading' && this.#headings.length < MAX_OUTLINE)
      this.#headings.push({ level: block.level ?? 1, title: text, ...(block.page ? { page: block.page } : {}) });
  }

  result(info: DocumentInfo): DocumentMetadata {
    const outline = (info.outline ?? this.#headings).slice(0, MAX_OUTLINE);
    return {
      type: info.type,
      title: info.title?.slice(0, 500) ?? null,
      author: info.author?.slice(0, 500) ?? null,
      language: detectLanguage(this.#sample),
      pages: info.pageCount ?? null,
      words: this.#words,
      characters: this.#characters,
      created: info.created ?? null,
      modified: info.modified ?? null,
      encoding: info.encoding ?? null,
      outline: outline.map((o) => ({ ...o, title: o.title.slice(0, 300) })),
    };
  }
}

/** Metadata of an extracted document whose text is `text` (the assembled text). */
export function documentMetadata(extracted: ExtractedDocument, text: string): DocumentMetadata {
  const counter = new MetadataCounter();
  const headings = extracted.blocks.filter((b) => b.kind === 'heading');
  // Word and character counts do not depend on where blocks end, so the whole text counts as one piece.
  counter.add(text, { kind: 'paragraph', text }, text);
  const info: DocumentInfo = {
    ...extracted,
    outline: extracted.outline ?? headings.map((b) => ({ level: b.level ?? 1, title: b.text, ...(b.page ? { page: b.page } : {}) })),
  };
  return counter.result(info);
}
