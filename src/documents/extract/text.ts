import { decodeText } from './decode.ts';
import type { Block, DocumentType, ExtractedDocument } from './types.ts';

/** The most characters one block collects before it is cut at a line boundary (a file with no blank lines is not one block). */
export const MAX_BLOCK_CHARS = 64 * 1024;

/** Reads a text format line by line (streaming): each line may complete blocks; `end` flushes the rest. */
export interface LineReader {
  readonly type: Extract<DocumentType, 'text' | 'markdown' | 'csv'>;
  line(line: string): Block[];
  end(): Block[];
  /** Known after the last line: the title found in the text (Markdown's first level-1 heading). */
  title(): string | undefined;
}

/** Plain text: paragraphs separated by blank lines (spaces, tabs and ideographic spaces count as blank). */
class ParagraphReader implements LineReader {
  readonly type = 'text' as const;
  #lines: string[] = [];
  #chars = 0;

  #flush(): Block[] {
    const text = this.#lines.join('\n').trim();
    this.#lines = [];
    this.#chars = 0;
    return text === '' ? [] : [{ kind: 'paragraph', text }];
  }

  line(line: string): Block[] {
    if (/^[ \t\u3000]*$/.test(line)) return this.#flush();
    this.#lines.push(line.replace(/[ \t]+$/, ''));
    this.#chars += line.length + 1;
    return this.#chars >= MAX_BLOCK_CHARS ? this.#flush() : [];
  }

  end(): Block[] {
    return this.#flush();
  }

  title(): undefined {
    return undefined;
  }
}

/** Markdown inline syntax reduced to its text: links and images keep their words, emphasis and code marks go. */
function inline(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\(([^)\s]+)[^)]*\)/g, '$1 ($2)')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[^\w*])[*_]([^*_\n]+)[*_](?=$|[^\w*])/g, '$1$2')
    .replace(/`([^`]+)`/g, '$1');
}

/** Headings, paragraphs, lists, tables and fenced code of a Markdown file, in order. */
class MarkdownReader implements LineReader {
  readonly type = 'markdown' as const;
  #buffer: string[] = [];
  #chars = 0;
  #kind: Block['kind'] = 'paragraph';
  #fence: string | undefined;
  #title: string | undefined;

  #flush(out: Block[]): void {
    const joined = this.#buffer.join('\n').trim();
    if (joined !== '') out.push({ kind: this.#kind, text: this.#kind === 'code' ? joined : inline(joined) });
    this.#buffer = [];
    this.#chars = 0;
    this.#kind = 'paragraph';
  }

  #push(line: string, out: Block[]): void {
    this.#buffer.push(line);
    this.#chars += line.length + 1;
    if (this.#chars < MAX_BLOCK_CHARS) return;
    // A very long block is cut at a line boundary; its next part keeps the kind (and stays inside the fence).
    const kind = this.#kind;
    this.#flush(out);
    this.#kind = kind;
  }

  line(line: string): Block[] {
    const out: Block[] = [];
    if (this.#fence !== undefined) {
      if (line.trim().startsWith(this.#fence)) {
        this.#fence = undefined;
        this.#flush(out);
      } else this.#push(line, out);
      return out;
    }
    const fenceOpen = /^\s*(```|~~~)/.exec(line);
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    const lineKind: Block['kind'] | 'blank' =
      line.trim() === '' ? 'blank' : /^\s*([-*+]|\d+[.)])\s+/.test(line) ? 'list' : /^\s*\|.*\|\s*$/.test(line) ? 'table' : 'paragraph';
    if (fenceOpen) {
      this.#flush(out);
      this.#fence = fenceOpen[1];
      this.#kind = 'code';
    } else if (heading) {
      this.#flush(out);
      const level = heading[1]?.length ?? 1;
      const text = inline(heading[2] ?? '');
      out.push({ kind: 'heading', level, text });
      if (level === 1 && this.#title === undefined && text.trim() !== '') this.#title = text;
    } else if (lineKind === 'blank') this.#flush(out);
    else if (lineKind === 'table') {
      if (this.#kind !== 'table') this.#flush(out);
      this.#kind = 'table';
      // The |---|---| separator row carries no text.
      if (!/^\s*\|[\s|:-]+\|\s*$/.test(line))
        this.#push(
          line
            .trim()
            .replace(/^\||\|$/g, '')
            .split('|')
            .map((cell) => cell.trim())
            .join(' | '),
          out,
        );
    } else {
      if (lineKind === 'list' && this.#kind !== 'list') this.#flush(out);
      if (lineKind === 'list') this.#kind = 'list';
      this.#push(line, out);
    }
    return out;
  }

  end(): Block[] {
    const out: Block[] = [];
    this.#flush(out);
    return out;
  }

  title(): string | undefined {
    return this.#title;
  }
}

/** Splits one CSV line, honouring quotes ("a, b" is one cell; "" is an escaped quote). */
function csvCells(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

const DELIMITER_SAMPLE_LINES = 20;

/** CSV as one table of `a | b | c` rows (the delimiter guessed from the first 20 lines); a long table comes in parts that `continue` it. */
class CsvReader implements LineReader {
  readonly type = 'csv' as const;
  #head: string[] | undefined = [];
  #delimiter = ',';
  #rows: string[] = [];
  #chars = 0;
  #emitted = false;

  #flush(): Block[] {
    if (this.#rows.length === 0) return [];
    const block: Block = { kind: 'table', text: this.#rows.join('\n'), ...(this.#emitted ? { continues: true } : {}) };
    this.#rows = [];
    this.#chars = 0;
    this.#emitted = true;
    return [block];
  }

  #row(line: string): Block[] {
    const row = csvCells(line, this.#delimiter).join(' | ');
    this.#rows.push(row);
    this.#chars += row.length + 1;
    return this.#chars >= MAX_BLOCK_CHARS ? this.#flush() : [];
  }

  #decide(): Block[] {
    const head = this.#head ?? [];
    this.#head = undefined;
    this.#delimiter =
      ['\t', ';', ','].map((d) => ({ d, n: head.reduce((sum, line) => sum + line.split(d).length - 1, 0) })).sort((a, b) => b.n - a.n)[0]?.d ?? ',';
    return head.flatMap((line) => this.#row(line));
  }

  line(line: string): Block[] {
    if (line.trim() === '') return [];
    if (this.#head === undefined) return this.#row(line);
    this.#head.push(line);
    return this.#head.length >= DELIMITER_SAMPLE_LINES ? this.#decide() : [];
  }

  end(): Block[] {
    return [...(this.#head ? this.#decide() : []), ...this.#flush()];
  }

  title(): undefined {
    return undefined;
  }
}

export function lineReader(type: LineReader['type']): LineReader {
  if (type === 'markdown') return new MarkdownReader();
  if (type === 'csv') return new CsvReader();
  return new ParagraphReader();
}

/** Every line of `text`, whatever its line ends (\r\n, \n, or a lone \r). */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function readWhole(type: LineReader['type'], bytes: Buffer): ExtractedDocument {
  const { text, encoding } = decodeText(bytes);
  const reader = lineReader(type);
  const blocks = [...splitLines(text).flatMap((line) => reader.line(line)), ...reader.end()];
  const title = reader.title();
  return { type, blocks, ...(title ? { title } : {}), encoding, warnings: [] };
}

export const extractText = (bytes: Buffer): ExtractedDocument => readWhole('text', bytes);
export const extractMarkdown = (bytes: Buffer): ExtractedDocument => readWhole('markdown', bytes);
export const extractCsv = (bytes: Buffer): ExtractedDocument => readWhole('csv', bytes);
