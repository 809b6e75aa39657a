import { describe, expect, it } from 'vitest';
import { corpus } from '../../fixtures/documents-corpus.ts';
import { extractDocument } from '../../src/documents/index.ts';

/** Word structure read from mammoth's document model (src/documents/extract/docx.ts), on a file LibreOffice wrote. */
describe('DOCX structure', () => {
  it('keeps headings, nested and ordered lists, tables, breaks, links and footnotes', async () => {
    const files = await corpus();
    const doc = await extractDocument(files.bytes('docx/structure.docx'), { type: 'docx', filename: 'structure.docx' });
    expect(doc.blocks.map((b) => ({ kind: b.kind, ...(b.level ? { level: b.level } : {}), text: b.text }))).toEqual([
      { kind: 'heading', level: 1, text: '结构 Structure' },
      { kind: 'paragraph', text: 'Intro with a link text and a note[1].' },
      { kind: 'list', text: '- alpha\n  - alpha one\n  - alpha two\n    1. deep one\n    2. deep two\n- beta' },
      { kind: 'list', text: '1. first\n2. second\n  1. second a\n3. third' },
      { kind: 'paragraph', text: 'Between lists.' },
      { kind: 'list', text: '1. again one' },
      { kind: 'heading', level: 3, text: '表格 Table' },
      // Empty rows are dropped; a cell's paragraphs are a space apart.
      { kind: 'table', text: 'Name | Qty\nApple 苹果 | 3\ntwo paras | ' },
      { kind: 'paragraph', text: 'Line one\nline two tabbed' },
      { kind: 'heading', level: 6, text: 'Level six' },
      // Referenced notes, numbered as their references are ([1] above).
      { kind: 'list', text: '1. The footnote text 脚注.' },
    ]);
    expect(doc.title).toBe('Structure');
  });
});
