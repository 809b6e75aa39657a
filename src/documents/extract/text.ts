import { decodeText } from './decode.ts';
import type { Block, ExtractedDocument } from './types.ts';

function paragraphs(text: string): Block[] {
  return text
    .split(/\r?\n[ \t\u3000]*\r?\n/)
    .map((part) => part.replace(/\r/g, '').replace(/[ \t]+$/gm, '').trim())
    .filter((part) => part !== '')
    .map((part) => ({ kind: 'paragraph', text: part }));
}

export function extractText(bytes: Buffer): ExtractedDocument {
  const { text, encoding } = decodeText(bytes);
  return { type: 'text', blocks: paragraphs(text), encoding, warnings: [] };
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
export function extractMarkdown(bytes: Buffer): ExtractedDocument {
  const { text, encoding } = decodeText(bytes);
  const blocks: Block[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let buffer: string[] = [];
  let kind: Block['kind'] = 'paragraph';
  const flush = () => {
    const joined = buffer.join('\n').trim();
    if (joined !== '') blocks.push({ kind, text: kind === 'code' ? joined : inline(joined) });
    buffer = [];
    kind = 'paragraph';
  };
  let fence: string | undefined;
  for (const line of lines) {
    if (fence !== undefined) {
      if (line.trim().startsWith(fence)) {
        fence = undefined;
        flush();
      } else buffer.push(line);
      continue;
    }
    const fenceOpen = /^\s*(```|~~~)/.exec(line);
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    const lineKind: Block['kind'] | 'blank' = line.trim() === '' ? 'blank' : /^\s*([-*+]|\d+[.)])\s+/.test(line) ? 'list' : /^\s*\|.*\|\s*$/.test(line) ? 'table' : 'paragraph';
    if (fenceOpen) {
      flush();
      fence = fenceOpen[1];
      kind = 'code';
    } else if (heading) {
      flush();
      blocks.push({ kind: 'heading', level: heading[1]?.length ?? 1, text: inline(heading[2] ?? '') });
    } else if (lineKind === 'blank') flush();
    else if (lineKind === 'table') {
      if (kind !== 'table') flush();
      kind = 'table';
      // The |---|---| separator row carries no text.
      if (!/^\s*\|[\s|:-]+\|\s*$/.test(line)) buffer.push(line.trim().replace(/^\||\|$/g, '').split('|').map((cell) => cell.trim()).join(' | '));
    } else {
      if (lineKind === 'list' && kind !== 'list') flush();
      if (lineKind === 'list') kind = 'list';
      buffer.push(line);
    }
  }
  flush();
  const title = blocks.find((b) => b.kind === 'heading' && b.level === 1)?.text;
  return { type: 'markdown', blocks, ...(title ? { title } : {}), encoding, warnings: [] };
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

/** A CSV file as one table block of `a | b | c` rows, in whatever encoding it came in. */
export function extractCsv(bytes: Buffer): ExtractedDocument {
  const { text, encoding } = decodeText(bytes);
  const lines = text.replace(/\r\n?/g, '\n').split('\n').filter((line) => line.trim() !== '');
  const head = lines.slice(0, 20);
  const delimiter = ['\t', ';', ','].map((d) => ({ d, n: head.reduce((sum, line) => sum + line.split(d).length - 1, 0) })).sort((a, b) => b.n - a.n)[0]?.d ?? ',';
  const rows = lines.map((line) => csvCells(line, delimiter).join(' | '));
  return { type: 'csv', blocks: rows.length > 0 ? [{ kind: 'table', text: rows.join('\n') }] : [], encoding, warnings: [] };
}
