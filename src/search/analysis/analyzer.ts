import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as JiebaModule from '@node-rs/jieba';
import type { Jieba } from '@node-rs/jieba';
import type * as PinyinPro from 'pinyin-pro';
import { stemmer } from 'stemmer';
import { normalize, originalSpan, type NormalizedText } from './normalize.ts';
import { ENGLISH_STOP_WORDS } from './stop-words.ts';

export type AnalysisMode = 'index' | 'query';

export interface Token {
  /** The indexed form: simplified, folded, lower-cased; English stemmed. */
  term: string;
  /** Offsets into the original text (UTF-16 units, end exclusive): what a highlight marks. */
  start: number;
  end: number;
  /** Word position; a sub-word shares the position of the word it is part of. */
  position: number;
  kind: 'cjk' | 'latin' | 'number';
  /** A Latin word as written (folded, lower-cased) before stemming: what typo tolerance compares. */
  surface?: string;
  /** A finer part of a longer word, emitted in index mode so that 农业 finds 中国农业发展银行. */
  sub?: true;
}

export interface AnalyzerSettings {
  /** Extra words that segmentation must keep whole, one per line: `word [frequency] [tag]` (jieba's format). */
  dictionary?: readonly string[];
  /** Groups of words that mean the same; each word also joins the dictionary so it survives segmentation. */
  synonyms?: ReadonlyArray<readonly string[]>;
}

// Han runs go to the segmenter; any other letters and digits form words (Han is a letter too: excluded).
const RUN =
  /(?<cjk>[\p{Script=Han}\u3005\u3007]+)|(?<word>[[\p{L}\p{N}]--[\p{Script=Han}]][[\p{L}\p{N}_]--[\p{Script=Han}]]*(?:['’.][[\p{L}\p{N}]--[\p{Script=Han}]]+)*)/gv;
const HAS_LETTER = /\p{L}/u;
const HAN = /\p{Script=Han}/u;
const USER_WORD_FREQUENCY = 100_000;
/**
 * Words this long are split into the dictionary words that tile them (农业发展银行 → 农业 发展 银行) when
 * such a tiling exists: jieba's coarse words are longer than most users' queries and than the words of
 * the UD Chinese treebanks (F1 on their dev split 0.790 → 0.817; chosen there, confirmed on test).
 */
const TILE_MIN_LENGTH = 4;

const load = createRequire(import.meta.url);
/** pinyin-pro's tables (several MB of heap), loaded when a title or suggestion first needs pinyin. */
function pinyinSyllables(word: string): string[] {
  return (load('pinyin-pro') as typeof PinyinPro).pinyin(word, { toneType: 'none', type: 'array', v: true });
}

/**
 * jieba's bundled dictionary holds 349,045 words, half of them seen only 3 times in its corpus (the minimum):
 * rare compounds, idioms and personal names that segment just as well from their parts (HMM finds unknown names).
 * The segmenter keeps the words seen at least MIN_WORD_FREQUENCY times, and every place, organisation and other
 * proper name (tags ns, nt, nz) whatever its count, so that "农业发展银行" stays one searchable word: 127,346 words.
 * Measured against the whole dictionary: jieba's resident memory +36 MB → +17 MB (a bare process building each);
 * `npm run eval:search`: word-segmentation F1 on UD Chinese GSD 0.813 → 0.815 (simplified and traditional),
 * known-item retrieval on the Chinese Debian Reference MRR@10 0.705 → 0.702 and recall@10 0.905 → 0.915 on
 * SQLite, 0.715 → 0.715 and 0.912 → 0.917 on PostgreSQL.
 */
const MIN_WORD_FREQUENCY = 10;

/** Whether the bytes from `start` to `end` are the tag ns, nt or nz. */
function isProperNameTag(dictionary: Buffer, start: number, end: number): boolean {
  const second = dictionary[start + 1];
  return start >= 0 && end - start === 2 && dictionary[start] === 0x6e && (second === 0x73 || second === 0x74 || second === 0x7a);
}

/** The lines of a jieba dictionary (`word frequency [tag]`) that the segmenter keeps, in one pass over the bytes. */
export function commonWords(dictionary: Buffer, min = MIN_WORD_FREQUENCY): Buffer {
  const out = Buffer.allocUnsafe(dictionary.length + 1);
  let written = 0;
  let lineStart = 0;
  let field = 0; // 0: the word, 1: its frequency, 2: the tag
  let frequency = 0;
  let tagStart = -1;
  for (let i = 0; i <= dictionary.length; i++) {
    const byte = i < dictionary.length ? (dictionary[i] as number) : 0x0a;
    if (byte === 0x0a || byte === 0x0d) {
      if (i > lineStart && field >= 1) {
        if (frequency >= min || isProperNameTag(dictionary, tagStart, i)) {
          written += dictionary.copy(out, written, lineStart, i);
          out[written++] = 0x0a;
        }
      }
      lineStart = i + 1;
      field = 0;
      frequency = 0;
      tagStart = -1;
    } else if (byte === 0x20) {
      field = Math.min(field + 1, 2);
      if (field === 2 && tagStart < 0) tagStart = i + 1;
    } else if (field === 1 && byte >= 0x30 && byte <= 0x39) frequency = frequency * 10 + byte - 0x30;
  }
  return out.subarray(0, written);
}

/**
 * jieba with the common words of its bundled dictionary plus the user's words. The dictionary file is read here,
 * not through the package's dict.js: that module keeps dict.txt and idf.txt (11 MB, idf unused) in its exports
 * for the life of the process, while jieba copies what it needs into its own structures.
 */
function segmenter(userWords: Buffer | undefined): Jieba {
  const { Jieba: JiebaClass } = load('@node-rs/jieba') as typeof JiebaModule;
  const bundled = readFileSync(join(dirname(load.resolve('@node-rs/jieba/dict.js')), 'dict.txt'));
  const jieba = JiebaClass.withDict(commonWords(bundled));
  if (userWords) jieba.loadDict(userWords);
  return jieba;
}

/** The fewest dictionary words of 2–4 characters that cover `word` exactly, or null. */
function tile(word: string, subWords: readonly string[]): string[] | null {
  const known = new Set(subWords.filter((s) => s !== word));
  const best: Array<string[] | null> = Array.from({ length: word.length + 1 }, () => null);
  best[0] = [];
  for (let i = 0; i < word.length; i++) {
    const prefix = best[i];
    if (!prefix) continue;
    for (let length = 2; length <= 4 && i + length <= word.length; length++) {
      const piece = word.slice(i, i + length);
      const current = best[i + length];
      if (known.has(piece) && (!current || prefix.length + 1 < current.length)) best[i + length] = [...prefix, piece];
    }
  }
  return best[word.length] ?? null;
}

/**
 * The one analysis pipeline every engine uses, so rankings agree across engines: NFKC and width folding,
 * traditional → simplified by phrase, jieba segmentation of Han runs (search mode adds sub-words when
 * indexing), English lower-casing, stop words and stemming, CJK bigrams for recall, pinyin for titles and
 * suggestions, and user dictionaries and synonyms that can be reloaded without a restart.
 */
export class Analyzer {
  /** Built on the first Han text: jieba's dictionary costs tens of MB that a process without Chinese text never needs. */
  #jieba: Jieba | undefined;
  #userWords: Buffer | undefined;
  #synonyms = new Map<string, string[]>();

  constructor(settings: AnalyzerSettings = {}) {
    this.reload(settings);
  }

  /** Replaces the user dictionary and synonyms (a segmenter in use is rebuilt first, then swapped in). */
  reload(settings: AnalyzerSettings): void {
    const words = [...(settings.dictionary ?? [])];
    const synonyms = new Map<string, string[]>();
    for (const group of settings.synonyms ?? []) {
      const terms = [...new Set(group.map((w) => normalize(w).text.trim()).filter((w) => w.length > 0))];
      for (const term of terms) {
        // High frequency so segmentation keeps the synonym whole instead of splitting it.
        if (HAN.test(term)) words.push(term);
        synonyms.set(this.#keyOf(term), terms);
      }
    }
    // A word given without a frequency gets a high one: the user asked for it to be kept whole.
    const lines = words
      .map((w) => normalize(w).text.trim())
      .filter((w) => w.length > 0)
      .map((w) => (/\s\d+/.test(w) ? w : `${w} ${USER_WORD_FREQUENCY}`));
    const userWords = lines.length > 0 ? Buffer.from(lines.join('\n'), 'utf8') : undefined;
    const jieba = this.#jieba ? segmenter(userWords) : undefined;
    this.#userWords = userWords;
    this.#jieba = jieba;
    this.#synonyms = synonyms;
  }

  get #segmenter(): Jieba {
    this.#jieba ??= segmenter(this.#userWords);
    return this.#jieba;
  }

  /**
   * Tokens with their offsets into the original text. Index mode adds sub-words of long CJK words.
   * `text` may come already normalized (a caller that also searches the normalized text saves a second
   * pass). `splits`, when given, says which CJK words are worth their sub-words and tiling: every token of
   * a word is part of it, so a highlighter skips words that hold none of the query's terms (the per-word
   * segmenter calls were most of a highlight's time); the others are kept whole.
   */
  analyze(text: string | NormalizedText, mode: AnalysisMode = 'index', splits?: (word: string) => boolean): Token[] {
    const normalized = typeof text === 'string' ? normalize(text) : text;
    const tokens: Token[] = [];
    let position = 0;
    const matches = [...normalized.text.matchAll(RUN)];
    // One segmenter call for all Han runs of the text (joined by newlines), not one native call per run.
    const hanRuns = matches.filter((m) => m.groups?.['cjk']).map((m) => m[0]);
    const words = hanRuns.length > 0 ? this.#segmenter.cut(hanRuns.join('\n'), true) : [];
    let w = 0;
    for (const match of matches) {
      const at = match.index;
      if (match.groups?.['cjk']) {
        let offset = at;
        const runEnd = at + match[0].length;
        while (offset < runEnd && w < words.length) {
          const word = words[w++] as string;
          if (word === '\n') continue;
          if (splits && word.length > 2 && !splits(word)) {
            this.#push(tokens, normalized, word, offset, position++, 'cjk');
            offset += word.length;
            continue;
          }
          const subWords = word.length >= TILE_MIN_LENGTH || (mode === 'index' && word.length > 2) ? this.#segmenter.cutForSearch(word, true) : [];
          const pieces = word.length >= TILE_MIN_LENGTH ? (tile(word, subWords) ?? [word]) : [word];
          let at = offset;
          for (const piece of pieces) {
            this.#push(tokens, normalized, piece, at, position++, 'cjk');
            at += piece.length;
          }
          // Indexing also keeps the other readings of a long word (the whole compound, overlapping parts).
          if (mode === 'index' && word.length > 2)
            this.#subWords(
              tokens,
              normalized,
              word,
              offset,
              position - 1,
              [...subWords, word].filter((sub) => !pieces.includes(sub)),
            );
          offset += word.length;
        }
        if (words[w] === '\n') w++;
      } else {
        const word = match[0];
        if (ENGLISH_STOP_WORDS.has(word)) continue;
        const latin = HAS_LETTER.test(word);
        // Stem plain words only: identifiers and versions (utf8, v2.1) are kept as written.
        const term = latin && /^[a-z]+$/.test(word) ? stemmer(word) : word;
        this.#push(tokens, normalized, term, at, position, latin ? 'latin' : 'number', word.length);
        if (latin) (tokens.at(-1) as Token).surface = word;
        position++;
      }
    }
    return tokens;
  }

  /** Overlapping character bigrams of every Han run (a lone character stays a unigram): recall without a dictionary. */
  bigrams(text: string): Token[] {
    const normalized = normalize(text);
    const tokens: Token[] = [];
    let position = 0;
    for (const match of normalized.text.matchAll(/[\p{Script=Han}\u3005\u3007]+/gu)) {
      const run = match[0];
      if (run.length === 1) this.#push(tokens, normalized, run, match.index, position++, 'cjk');
      for (let k = 0; k + 1 < run.length; k++) this.#push(tokens, normalized, run.slice(k, k + 2), match.index + k, position++, 'cjk');
    }
    return tokens;
  }

  /** Full pinyin (weixin) and initials (wx) of the Han words of a text, for titles and suggestions. */
  pinyin(text: string): { full: string[]; initials: string[] } {
    const full: string[] = [];
    const initials: string[] = [];
    for (const token of this.analyze(text, 'query')) {
      if (token.kind !== 'cjk') continue;
      // Whole words, so polyphones read in context (重庆 → chongqing, not zhongqing).
      const syllables = pinyinSyllables(token.term);
      full.push(syllables.join(''));
      initials.push(syllables.map((s) => s[0] ?? '').join(''));
    }
    return { full, initials };
  }

  /** The group of words meaning the same as `word` (itself included), or just the word. */
  synonymsOf(word: string): string[] {
    return this.#synonyms.get(this.#keyOf(word)) ?? [word];
  }

  /**
   * The synonym group of an already analysed term, if it has one. Never analyses the term again: stemming
   * is not idempotent (warehouse → warehous → wareh).
   */
  synonymGroupOfTerm(term: string): readonly string[] | undefined {
    return this.#synonyms.get(term);
  }

  /** The analysed forms of a synonym group's word, so a group matches what indexing produced. */
  #keyOf(word: string): string {
    return this.analyze(word, 'query')
      .map((t) => t.term)
      .join(' ');
  }

  #subWords(tokens: Token[], normalized: NormalizedText, word: string, offset: number, position: number, subs: readonly string[]): void {
    let from = 0;
    for (const sub of subs) {
      const at = word.indexOf(sub, from);
      const found = at === -1 ? word.indexOf(sub) : at;
      if (found === -1) continue;
      from = found;
      this.#push(tokens, normalized, sub, offset + found, position, 'cjk', sub.length, true);
    }
  }

  #push(tokens: Token[], normalized: NormalizedText, term: string, at: number, position: number, kind: Token['kind'], length = term.length, sub = false): void {
    if (term.trim() === '') return;
    const [start, end] = originalSpan(normalized, at, at + length);
    tokens.push(sub ? { term, start, end, position, kind, sub: true } : { term, start, end, position, kind });
  }
}
