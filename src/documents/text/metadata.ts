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

const NON_ASCII = /[^\p{ASCII}]/u;

const isLetter = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const UNDERSCORE = 0x5f;
const isWordChar = (c: number) => isLetter(c) || isDigit(c) || c === UNDERSCORE;
/** `.` `'` `:` join two letters ("e.g", "can't", "a:b"); `.` `'` `,` `;` join two digits ("3.14", "1,000"). */
const joinsLetters = (c: number) => c === 0x2e || c === 0x27 || c === 0x3a;
const joinsDigits = (c: number) => c === 0x2e || c === 0x27 || c === 0x2c || c === 0x3b;

/**
 * Words of ASCII text as ICU's word rules (UAX #29) make them: runs of letters, digits and "_", joined across one
 * `.`/`'`/`:` between two letters or one `.`/`'`/`,`/`;` between two digits. A lone "_" is not word-like to ICU;
 * "__" is. A scan without a regular expression allocates nothing per word (this runs on every block of a 200 MB
 * upload). test/documents/words.test.ts holds the count equal to ICU's on random text.
 */
function asciiWords(text: string): number {
  let words = 0;
  let i = 0;
  while (i < text.length) {
    if (!isWordChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    for (i++; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (isWordChar(c)) continue;
      const before = text.charCodeAt(i - 1);
      const after = i + 1 < text.length ? text.charCodeAt(i + 1) : -1;
      const joins = (joinsLetters(c) && isLetter(before) && isLetter(after)) || (joinsDigits(c) && isDigit(before) && isDigit(after));
      if (!joins) break;
      i++; // the joining character; the loop's own step moves past the character after it
    }
    if (i - start > 1 || text.charCodeAt(start) !== UNDERSCORE) words++;
  }
  return words;
}

function icuWords(text: string): number {
  let words = 0;
  for (const segment of wordSegmenter.segment(text)) if (segment.isWordLike) words++;
  return words;
}

/**
 * Words as ICU segments them (dictionary-based for Chinese, so 中华人民共和国 is one word, not seven), which
 * counts Chinese, English and mixed text on one scale. ICU builds a segment object for every word and every
 * gap, most of a document's metadata time (0.6 of 0.9 ms for the 200-page test PDF): ASCII text is counted by
 * asciiWords instead, to the same count. ICU always breaks at a line feed (UAX #29 WB3a/b), so a text that
 * mixes is counted line by line, each line the fast way when it is ASCII.
 */
export function countWords(text: string): number {
  if (!NON_ASCII.test(text)) return asciiWords(text);
  let words = 0;
  for (let from = 0; from <= text.length;) {
    const newline = text.indexOf('\n', from);
    const end = newline < 0 ? text.length : newline;
    const line = text.slice(from, end);
    words += NON_ASCII.test(line) ? icuWords(line) : asciiWords(line);
    from = end + 1;
  }
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
