import type { Block } from './types.ts';
import { cleanLines, collapse } from './whitespace.ts';

/**
 * The parts of mammoth's document model (what its `transformDocument` option receives) that carry text and
 * structure: paragraphs with their style and list numbering, runs, hyperlinks, tables, breaks, images' alt text
 * and note references. mammoth calls this model unstable; test/documents/formats.test.ts and docx.test.ts hold
 * the blocks made from it to the expected headings, lists, tables and notes.
 */
export interface DocxNode {
  type: string;
  children?: DocxNode[];
  value?: string;
  styleId?: string | null;
  styleName?: string | null;
  numbering?: { level: string | number; isOrdered: boolean } | null;
  breakType?: string;
  altText?: string | null;
  body?: DocxNode[];
}

export interface DocxDocument extends DocxNode {
  notes: { resolve(reference: DocxNode): DocxNode | null };
}

const HEADING_STYLE_ID = /^Heading([1-6])$/;
const HEADING_STYLE_NAME = /^heading ([1-6])$/i;
/** The heading level mammoth's default style map gives a paragraph style (Word's, LibreOffice's and Pages' names). */
function headingLevel(paragraph: DocxNode): number | undefined {
  const byId = paragraph.styleId ? HEADING_STYLE_ID.exec(paragraph.styleId) : null;
  if (byId) return Number(byId[1]);
  const byName = paragraph.styleName ? HEADING_STYLE_NAME.exec(paragraph.styleName) : null;
  if (byName) return Number(byName[1]);
  return paragraph.styleId === 'Heading' || paragraph.styleName === 'Heading' ? 1 : undefined;
}

/** One open list level: its kind and how many items it has had (an ordered list numbers them). */
interface ListLevel {
  ordered: boolean;
  items: number;
}

/**
 * Blocks of a Word document read from mammoth's model, as its HTML would read through htmlToBlocks, without
 * writing and parsing that HTML: headings (by style), paragraphs, lists (nested by numbering level, numbered when
 * ordered), tables (a row per line, cells joined by " | "), and the notes referenced in the text as a numbered list
 * at the end. Producing mammoth's HTML cost a third of the DOCX extraction, mostly parsing its default style map
 * on every call.
 */
export class DocxBlockWriter {
  readonly blocks: Block[] = [];
  readonly #noteReferences: DocxNode[] = [];
  #list: string[] = [];
  #levels: ListLevel[] = [];

  write(document: DocxDocument): void {
    for (const node of document.children ?? []) this.#block(node);
    this.#endList();
    const notes = this.#noteReferences.map((reference) => document.notes.resolve(reference));
    const lines = notes.flatMap((note, i) => {
      const text = collapse((note?.body ?? []).map((p) => this.#inline(p.children ?? [])).join(' '));
      return text === '' ? [] : [`${i + 1}. ${text}`];
    });
    if (lines.length > 0) this.blocks.push({ kind: 'list', text: lines.join('\n') });
  }

  #add(block: Block): void {
    this.#endList();
    if (block.text.trim() !== '') this.blocks.push(block);
  }

  #endList(): void {
    if (this.#list.length > 0) this.blocks.push({ kind: 'list', text: this.#list.join('\n') });
    this.#list = [];
    this.#levels = [];
  }

  #block(node: DocxNode): void {
    if (node.type === 'table') {
      this.#add({ kind: 'table', text: this.#table(node) });
      return;
    }
    if (node.type !== 'paragraph') {
      this.#add({ kind: 'paragraph', text: cleanLines(this.#inline([node])) });
      return;
    }
    const text = this.#inline(node.children ?? []);
    // A heading style wins over numbering (LibreOffice numbers its headings through the outline), as in mammoth's map.
    const level = headingLevel(node);
    if (level) this.#add({ kind: 'heading', level, text: collapse(text) });
    else if (node.numbering) this.#listItem(node.numbering, text);
    else this.#add({ kind: 'paragraph', text: cleanLines(text) });
  }

  #listItem(numbering: NonNullable<DocxNode['numbering']>, raw: string): void {
    const text = collapse(raw);
    if (text === '') return;
    const depth = Math.max(0, Math.min(8, Number(numbering.level) || 0));
    const top = this.#levels[0];
    // A top-level list of the other kind is a list of its own, as mammoth writes a new <ul>/<ol>.
    if (depth === 0 && top && top.ordered !== numbering.isOrdered) this.#endList();
    while (this.#levels.length < depth) this.#levels.push({ ordered: false, items: 1 });
    const level = this.#levels[depth];
    // A new item closes the lists nested under the previous one; a level of the other kind starts again at 1.
    this.#levels.length = depth + 1;
    if (level && level.ordered === numbering.isOrdered) level.items++;
    else this.#levels[depth] = { ordered: numbering.isOrdered, items: 1 };
    const current = this.#levels[depth] as ListLevel;
    this.#list.push(`${'  '.repeat(depth)}${current.ordered ? `${current.items}.` : '-'} ${text}`);
  }

  #table(table: DocxNode): string {
    return (table.children ?? [])
      .map((row) => (row.children ?? []).map((cell) => collapse(this.#cellText(cell.children ?? []))).join(' | '))
      .filter((line) => line.replace(/[|\s]/g, '') !== '')
      .join('\n');
  }

  /** A cell's paragraphs (and nested tables), a space apart. */
  #cellText(nodes: DocxNode[]): string {
    return nodes.map((node) => (node.type === 'table' ? this.#table(node) : this.#inline(node.children ?? []))).join(' ');
  }

  #inline(nodes: DocxNode[]): string {
    let text = '';
    for (const node of nodes) {
      if (node.type === 'text') text += node.value ?? '';
      else if (node.type === 'tab') text += '\t';
      else if (node.type === 'break') text += node.breakType === 'line' ? '\n' : '';
      else if (node.type === 'image') text += node.altText ?? '';
      else if (node.type === 'noteReference') {
        this.#noteReferences.push(node);
        text += `[${this.#noteReferences.length}]`;
      } else if (node.children) text += this.#inline(node.children);
    }
    return text;
  }
}
