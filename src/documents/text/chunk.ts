import type { AssembledText, Span } from './assemble.ts';
import { tokenCount } from './tokens.ts';

/** One chunk: `text === documentText.slice(start, end)`. The search module indexes these. */
export interface Chunk {
  ordinal: number;
  text: string;
  start: number;
  end: number;
  page: number | null;
  section: string | null;
  tokenCount: number;
}

export interface ChunkOptions {
  /** Largest chunk, in tokens (a single unbreakable run — a very long URL — may exceed it). */
  maxTokens: number;
  /** Tokens of the previous chunk repeated at the start of the next (whole sentences only). */
  overlapTokens: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { maxTokens: 400, overlapTokens: 60 };

interface Unit {
  start: number;
  end: number;
  tokens: number;
  page: number | undefined;
  section: string | undefined;
  /** A unit that starts a new section: structure first, the previous chunk ends before it. */
  breakBefore: boolean;
}

const sentenceSegmenter = new Intl.Segmenter('zh', { granularity: 'sentence' });
const wordSegmenter = new Intl.Segmenter('zh', { granularity: 'word' });
// Runs that must never be cut: URLs, e-mail addresses, numbers with separators (3.14, 1,000,000, 12:30).
const ATOMIC = /\b(?:https?:\/\/|www\.)[^\s<>"'，。！？；）》」]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\d+(?:[.,:]\d+)+/g;

/** ICU sentences (they respect 。！？ and do not break "3.14" or "e.g. x"), also split after Chinese "；". */
function sentences(text: string, offset: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const { segment, index } of sentenceSegmenter.segment(text)) {
    let from = 0;
    for (const match of segment.matchAll(/；/g)) {
      const cut = (match.index ?? 0) + 1;
      out.push({ start: offset + index + from, end: offset + index + cut });
      from = cut;
    }
    if (from < segment.length) out.push({ start: offset + index + from, end: offset + index + segment.length });
  }
  // ICU ends a sentence at "?" or "." inside a URL ("…/c?d=1"): glue those pieces back together.
  const guarded = protectedRanges(text).map(([a, b]) => [a + offset, b + offset] as const);
  const merged: { start: number; end: number }[] = [];
  for (const piece of out) {
    const previous = merged.at(-1);
    if (previous && guarded.some(([a, b]) => previous.end > a && previous.end < b)) previous.end = piece.end;
    else if (piece.end > piece.start) merged.push({ ...piece });
  }
  return merged;
}

/** Positions inside `text` where a cut would fall inside a URL, address or number. */
function protectedRanges(text: string): [number, number][] {
  return [...text.matchAll(ATOMIC)].map((m) => [m.index ?? 0, (m.index ?? 0) + m[0].length]);
}

/** Splits an over-long sentence at word boundaries (ICU words, never inside a protected run). */
function splitLong(full: string, start: number, end: number, maxTokens: number): { start: number; end: number }[] {
  const text = full.slice(start, end);
  const guarded = protectedRanges(text);
  const allowed = (i: number) => !guarded.some(([a, b]) => i > a && i < b);
  const cuts: number[] = [];
  for (const { index } of wordSegmenter.segment(text)) if (index > 0 && allowed(index)) cuts.push(index);
  cuts.push(text.length);
  const out: { start: number; end: number }[] = [];
  let from = 0;
  let last = 0;
  let tokens = 0;
  // Tokens are summed word by word (linear, where re-counting the growing piece would be quadratic).
  for (const cut of cuts) {
    const word = tokenCount(text.slice(last, cut));
    if (tokens + word > maxTokens && last > from) {
      out.push({ start: start + from, end: start + last });
      from = last;
      tokens = 0;
    }
    tokens += word;
    last = cut;
  }
  if (from < text.length) out.push({ start: start + from, end: start + text.length });
  return out;
}

const NEWLINES_ONLY = /^[\r\n]+$/;
const ENDS_IN_LETTER_OR_DIGIT = /[\p{L}\p{N}]$/u;
const ENDS_IN_SPACE = /\s$/u;
const STARTS_IN_SPACE = /^\s/u;
/** What cl100k's pre-tokenizer makes one piece of at the end of a text: a run of punctuation, a space before it. */
const PUNCTUATION_TAIL = / ?[^\s\p{L}\p{N}]+$/u;
/** How much of a unit's end is looked at for its last piece; a longer punctuation run is counted the slow way. */
const TAIL_CHARS = 64;

/**
 * How many tokens joining `before` and `after` with a separator of line breaks adds to their own counts, or
 * undefined where that is not known without counting the whole. cl100k's pre-tokenizer (gpt-tokenizer's
 * CL100K_TOKEN_SPLIT_PATTERN) cuts text into pieces and counts each piece alone; after a letter or digit the
 * line breaks are a piece of their own, after punctuation they join its piece (".\n\n" is one piece), and a
 * piece never carries line breaks into the following word. A space-separated join would attach the space to the
 * next word, so only line-break separators are taken. test/documents/chunk-tokens.test.ts holds chunk counts made
 * this way equal to counting the joined text, on random text and on the corpus.
 */
function joinTokens(before: string, separator: string, after: string): number | undefined {
  if (!NEWLINES_ONLY.test(separator) || before === '' || after === '') return undefined;
  const tail = before.length > TAIL_CHARS ? before.slice(-TAIL_CHARS) : before;
  if (ENDS_IN_SPACE.test(tail) || STARTS_IN_SPACE.test(after)) return undefined;
  if (ENDS_IN_LETTER_OR_DIGIT.test(tail)) return joinCount('', separator);
  const punctuation = PUNCTUATION_TAIL.exec(tail)?.[0];
  // A run that fills the whole window may go on before it.
  if (punctuation === undefined || (punctuation.length === tail.length && tail.length < before.length)) return undefined;
  return joinCount(punctuation, separator);
}

/** Joins seen so far (".", "\n\n" and the like: a document has a handful of kinds), so each is counted once. */
const joinCounts = new Map<string, number>();

function joinCount(punctuation: string, separator: string): number {
  const key = `${punctuation}\u0000${separator}`;
  let count = joinCounts.get(key);
  if (count === undefined) {
    count = tokenCount(punctuation + separator) - (punctuation === '' ? 0 : tokenCount(punctuation));
    if (joinCounts.size >= 4096) joinCounts.clear();
    joinCounts.set(key, count);
  }
  return count;
}

function trimRange(text: string, start: number, end: number): { start: number; end: number } {
  while (start < end && /\s/.test(text[start] ?? '')) start++;
  while (end > start && /\s/.test(text[end - 1] ?? '')) end--;
  return { start, end };
}

/**
 * A span's units (local offsets into `text`, the span's own text): blocks that fit stay whole; longer ones are cut into sentences (tables into rows), then at
 * word boundaries.
 */
function spanUnits(text: string, span: Span, options: ChunkOptions): Unit[] {
  const out: Unit[] = [];
  const whole = tokenCount(text);
  const base = { page: span.page, section: span.section };
  const breakBefore = span.kind === 'heading';
  if (whole <= options.maxTokens) return [{ start: span.start, end: span.end, tokens: whole, breakBefore, ...base }];
  const pieces = span.kind === 'table' || span.kind === 'code' || span.kind === 'list' ? lines(text) : sentences(text, 0);
  let first = true;
  for (const piece of pieces) {
    const range = trimRange(text, piece.start, piece.end);
    if (range.end <= range.start) continue;
    const tokens = tokenCount(text.slice(range.start, range.end));
    const parts = tokens <= options.maxTokens ? [range] : splitLong(text, range.start, range.end, options.maxTokens);
    for (const part of parts) {
      const r = trimRange(text, part.start, part.end);
      if (r.end <= r.start) continue;
      const unitTokens = parts.length === 1 ? tokens : tokenCount(text.slice(r.start, r.end));
      out.push({ start: span.start + r.start, end: span.start + r.end, tokens: unitTokens, breakBefore: breakBefore && first, ...base });
      first = false;
    }
  }
  return out;
}

function lines(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let from = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text[i] === '\n') {
      if (i > from) out.push({ start: from, end: i });
      from = i + 1;
    }
  }
  return out;
}

/**
 * Structure first, then size: a heading or a new page starts a new chunk; blocks are packed whole while they fit;
 * longer blocks go by sentences (Chinese 。！？； included), then by words, never inside a word, number
 * or URL. Each chunk after the first in a section repeats whole trailing sentences of the previous one
 * (up to `overlapTokens`). Offsets index the assembled text, so `text.slice(start, end)` is the chunk.
 *
 * Streaming: the text arrives piece by piece (`push`, as TextAssembler makes it) and only the text of the
 * chunk being built is kept, so a 200 MB file is chunked in memory proportional to one chunk, not the file.
 */
export class ChunkStream {
  readonly #options: ChunkOptions;
  /** The text from absolute offset #windowStart on: just what the chunk in progress still needs. */
  #window = '';
  #windowStart = 0;
  #current: Unit[] = [];
  #tokens = 0;
  #fresh = 0;
  #ordinal = 0;

  constructor(options: ChunkOptions = DEFAULT_CHUNK_OPTIONS) {
    this.#options = options;
  }

  #slice(start: number, end: number): string {
    return this.#window.slice(start - this.#windowStart, end - this.#windowStart);
  }

  #emit(withOverlap: boolean, out: Chunk[]): void {
    if (this.#fresh === 0) {
      // Only the previous chunk's overlap is pending: nothing new to say.
      this.#current = [];
      this.#tokens = 0;
      return;
    }
    const first = this.#current[0] as Unit;
    const last = this.#current.at(-1) as Unit;
    const text = this.#slice(first.start, last.end);
    out.push({
      ordinal: this.#ordinal++,
      text,
      start: first.start,
      end: last.end,
      page: first.page ?? null,
      section: first.section ?? null,
      // One unit is exactly this text and was counted when it was cut; units joined by line breaks are counted
      // from their own counts and their joins (joinTokens), anything else is counted again.
      tokenCount: this.#current.length === 1 ? first.tokens : this.#joinedTokens(text, first.start),
    });
    const keep: Unit[] = [];
    let kept = 0;
    if (withOverlap) {
      for (let i = this.#current.length - 1; i > 0; i--) {
        const unit = this.#current[i] as Unit;
        if (kept + unit.tokens > this.#options.overlapTokens) break;
        keep.unshift(unit);
        kept += unit.tokens;
      }
    }
    this.#current = keep;
    this.#tokens = kept;
    this.#fresh = 0;
  }

  /** Tokens of `text` (the current units' text, starting at offset `base`) from the units' own counts. */
  #joinedTokens(text: string, base: number): number {
    let total = 0;
    for (let i = 0; i < this.#current.length; i++) {
      const unit = this.#current[i] as Unit;
      total += unit.tokens;
      const next = this.#current[i + 1];
      if (!next) break;
      const join = joinTokens(
        text.slice(unit.start - base, unit.end - base),
        text.slice(unit.end - base, next.start - base),
        text.slice(next.start - base, next.end - base),
      );
      if (join === undefined) return tokenCount(text);
      total += join;
    }
    return total;
  }

  /** Appends the next piece of text (it continues the text exactly) and the span it holds; returns the chunks it completed. */
  push(piece: string, span: Span): Chunk[] {
    const out: Chunk[] = [];
    this.#window += piece;
    for (const unit of spanUnits(this.#slice(span.start, span.end), span, this.#options)) {
      // A new page starts a new chunk (without overlap), so a chunk's page is the page of all its text.
      const newPage = this.#current.length > 0 && unit.page !== undefined && (this.#current.at(-1) as Unit).page !== unit.page;
      if (unit.breakBefore || newPage) this.#emit(false, out);
      else if (this.#tokens + unit.tokens > this.#options.maxTokens) this.#emit(true, out);
      this.#current.push(unit);
      this.#tokens += unit.tokens;
      this.#fresh++;
    }
    // Forget the text no pending unit needs.
    const keepFrom = this.#current[0]?.start ?? span.end;
    if (keepFrom > this.#windowStart) {
      this.#window = this.#window.slice(keepFrom - this.#windowStart);
      this.#windowStart = keepFrom;
    }
    return out;
  }

  /** The last chunk. */
  end(): Chunk[] {
    const out: Chunk[] = [];
    this.#emit(false, out);
    this.#window = '';
    return out;
  }
}

/** Chunks a whole assembled text (see ChunkStream). */
export function chunkText(doc: AssembledText, options: ChunkOptions = DEFAULT_CHUNK_OPTIONS): Chunk[] {
  const stream = new ChunkStream(options);
  const chunks: Chunk[] = [];
  let end = 0;
  for (const span of doc.spans) {
    chunks.push(...stream.push(doc.text.slice(end, span.end), span));
    end = span.end;
  }
  chunks.push(...stream.end());
  return chunks;
}
