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

const SEPARATOR = '\n\n';

/** Joins blocks into one text (blank line between blocks) and remembers where each block and section lies. */
export function assemble(blocks: readonly Block[], maxChars = Number.POSITIVE_INFINITY): AssembledText {
  const parts: string[] = [];
  const spans: Span[] = [];
  const path: string[] = [];
  let offset = 0;
  for (const block of blocks) {
    const text = block.text.trim();
    if (text === '') continue;
    if (offset + text.length > maxChars) break;
    if (block.kind === 'heading') {
      const level = Math.min(6, Math.max(1, block.level ?? 1));
      path.length = Math.min(path.length, level - 1);
      path[level - 1] = text.replace(/\s+/g, ' ').slice(0, 200);
    }
    if (parts.length > 0) {
      parts.push(SEPARATOR);
      offset += SEPARATOR.length;
    }
    const section = path.filter(Boolean).join(' > ');
    spans.push({ kind: block.kind, start: offset, end: offset + text.length, ...(block.level ? { level: block.level } : {}), ...(block.page ? { page: block.page } : {}), ...(section ? { section } : {}) });
    parts.push(text);
    offset += text.length;
  }
  return { text: parts.join(''), spans };
}
