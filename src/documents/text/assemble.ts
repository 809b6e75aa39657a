import type { Block } from '../extract/types.ts';

/** A block placed in the document's text: `text.slice(start, end)` is the block's text. */
export interface Span {
  kind: Block['kind'];
  start: number;
  end: number;
  level?: number;
  page?: number;
  /** Heading path in force at this block (" > "-joined), headings included for their own span. */
  section?: string;
}

export interface AssembledText {
  text: string;
  spans: Span[];
}

/** What one block added to the text: `piece` continues the text exactly (separator included); `span` is where the block lies. */
export interface AssembledPiece {
  piece: string;
  span: Span;
  /** The block's own text, trimmed (what metadata counts). */
  text: string;
}

const SEPARATOR = '\n\n';

/**
 * Joins blocks into one text, a blank line between blocks (a newline before a block that `continues` the
 * previous one, e.g. the next rows of a long table), and remembers where each block and section lies.
 * Incremental, so a large file's text is produced piece by piece and never held whole.
 */
export class TextAssembler {
  readonly #path: string[] = [];
  readonly #maxChars: number;
  #length = 0;
  #blocks = 0;
  /** True once a block did not fit under `maxChars` (the rest of the document was left out). */
  truncated = false;

  constructor(maxChars = Number.POSITIVE_INFINITY) {
    this.#maxChars = maxChars;
  }

  /** Characters of text so far. */
  get length(): number {
    return this.#length;
  }

  /** The piece this block adds, or undefined when it is empty or the text is full. */
  add(block: Block): AssembledPiece | undefined {
    if (this.truncated) return undefined;
    const text = block.text.trim();
    if (text === '') return undefined;
    const separator = this.#blocks === 0 ? '' : block.continues ? '\n' : SEPARATOR;
    if (this.#length + separator.length + text.length > this.#maxChars) {
      this.truncated = true;
      return undefined;
    }
    if (block.kind === 'heading') {
      const level = Math.min(6, Math.max(1, block.level ?? 1));
      this.#path.length = Math.min(this.#path.length, level - 1);
      this.#path[level - 1] = text.replace(/\s+/g, ' ').slice(0, 200);
    }
    const start = this.#length + separator.length;
    const section = this.#path.filter(Boolean).join(' > ');
    const span: Span = {
      kind: block.kind,
      start,
      end: start + text.length,
      ...(block.level ? { level: block.level } : {}),
      ...(block.page ? { page: block.page } : {}),
      ...(section ? { section } : {}),
    };
    this.#length = span.end;
    this.#blocks++;
    return { piece: separator + text, span, text };
  }
}

/** Joins blocks into one text (blank line between blocks) and remembers where each block and section lies. */
export function assemble(blocks: readonly Block[], maxChars = Number.POSITIVE_INFINITY): AssembledText {
  const assembler = new TextAssembler(maxChars);
  const parts: string[] = [];
  const spans: Span[] = [];
  for (const block of blocks) {
    const added = assembler.add(block);
    if (assembler.truncated) break;
    if (!added) continue;
    parts.push(added.piece);
    spans.push(added.span);
  }
  return { text: parts.join(''), spans };
}
