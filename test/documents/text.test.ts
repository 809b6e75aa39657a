import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { assemble, chunkText, decodeText, detectLanguage, safeFilename, tokenCount } from '../../src/documents/index.ts';

describe('chunking', () => {
  const zh = '今年的收入增长了百分之十二。我们的客户遍布全国！明年会更好吗？我们相信会；因为团队很强。'.repeat(12);
  const en = 'Revenue grew by 12.5% in Q3, see https://example.com/a.b/c?d=1.5 for details. Costs fell by 3.14 percent. '.repeat(25);
  const doc = assemble([
    { kind: 'heading', level: 1, text: '年度报告' },
    { kind: 'paragraph', text: zh },
    { kind: 'heading', level: 2, text: 'English' },
    { kind: 'paragraph', text: en },
  ]);
  const chunks = chunkText(doc, { maxTokens: 120, overlapTokens: 30 });

  it('keeps offsets into the assembled text and real token counts', () => {
    for (const chunk of chunks) {
      expect(doc.text.slice(chunk.start, chunk.end)).toBe(chunk.text);
      expect(chunk.tokenCount).toBe(tokenCount(chunk.text));
    }
  });

  it('starts a new chunk at a heading and records the section path', () => {
    const english = chunks.find((c) => c.text.startsWith('English'));
    expect(english?.section).toBe('年度报告 > English');
    expect(chunks.filter((c) => c.text.includes('English') && c.text.includes('团队'))).toEqual([]);
  });

  it('cuts Chinese text only after 。！？；, and never inside a URL or a number', () => {
    for (const chunk of chunks.filter((c) => c.section === '年度报告' && !c.text.startsWith('年度报告'))) {
      expect(chunk.text.at(-1)).toMatch(/[。！？；]/);
    }
    for (const chunk of chunks.filter((c) => c.section?.endsWith('English'))) {
      expect(chunk.text).not.toMatch(/https:\/\/example\.com\/a\.b\/c\?$|example\.com\/a\.$|12\.$|3\.$/);
      expect(chunk.text.endsWith('.')).toBe(true);
    }
  });

  it('overlaps consecutive chunks by whole sentences within the budget', () => {
    const [first, second] = chunks;
    expect(second && first && second.start < first.end).toBe(true);
    expect(tokenCount(doc.text.slice(second?.start, first?.end))).toBeLessThanOrEqual(30);
  });

  it('splits one enormous sentence at word boundaries', () => {
    const run = assemble([{ kind: 'paragraph', text: 'word '.repeat(2000).trim() }]);
    const pieces = chunkText(run, { maxTokens: 100, overlapTokens: 0 });
    expect(pieces.length).toBeGreaterThan(10);
    for (const piece of pieces) expect(piece.text).toMatch(/^word( word)*$/);
  });
});

describe('decoding and detection helpers', () => {
  it('decodes GB18030, Big5, UTF-16 with and without BOM', () => {
    expect(decodeText(iconv.encode('中文内容，测试编码。'.repeat(5), 'gb18030'))).toEqual({ text: '中文内容，测试编码。'.repeat(5), encoding: 'gb18030' });
    expect(decodeText(iconv.encode('繁體中文內容，測試編碼。'.repeat(5), 'big5')).text).toBe('繁體中文內容，測試編碼。'.repeat(5));
    expect(decodeText(iconv.encode('Hello 世界, plain text here', 'utf-16le')).text).toBe('Hello 世界, plain text here');
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode('BOM big endian', 'utf-16be')])).text).toBe('BOM big endian');
  });

  it('tells the language and script apart', () => {
    expect(detectLanguage('这是一个简体中文的句子，我们在这里测试语言检测。')).toBe('zh-Hans');
    expect(detectLanguage('這是一個繁體中文的句子，我們在這裡測試語言檢測。')).toBe('zh-Hant');
    expect(detectLanguage('This is an English sentence about language detection.')).toBe('en');
    expect(detectLanguage('我们使用 PostgreSQL and Redis to build the AI Stack platform 平台。')).toBe('mixed');
    expect(detectLanguage('12345 !!!')).toBe('und');
  });

  it('makes file names safe', () => {
    expect(safeFilename('../../etc/passwd')).toBe('passwd');
    expect(safeFilename('C:\\Users\\x\\报告.pdf')).toBe('报告.pdf');
    expect(safeFilename('a\u0000b\u0007c.txt')).toBe('abc.txt');
    expect(safeFilename('..')).toBe('upload');
    expect(safeFilename(`${'x'.repeat(400)}.docx`)).toHaveLength(255);
  });
});

describe('extractDocument', () => {
  it("leaves the caller's bytes readable (pdf.js detaches the buffer it is handed)", async () => {
    const { corpus } = await import('../../fixtures/documents-corpus.ts');
    const { extractDocument } = await import('../../src/documents/index.ts');
    const bytes = (await corpus()).bytes('english.pdf');
    const first = await extractDocument(bytes);
    expect(bytes.length).toBeGreaterThan(0);
    expect((await extractDocument(bytes)).blocks).toEqual(first.blocks);
  }, 120_000);
});
