import { describe, expect, it } from 'vitest';
import { TEXT } from '../../fixtures/documents-corpus.ts';
import { allChunks, documentService, settled, upload } from './support.ts';

/** Every supported format, made by a real writer, uploaded through the API on the embedded defaults. */
describe('documents: every format reaches ready with its content', () => {
  const ctx = documentService('sqlite');

  const cases: { file: string; type: string; language: string; contains: string; title?: string; pages?: number; encoding?: string }[] = [
    { file: 'chinese.pdf', type: 'pdf', language: 'zh-Hans', contains: TEXT.zhHans, title: '年度报告', pages: 1 },
    { file: 'traditional.pdf', type: 'pdf', language: 'zh-Hant', contains: TEXT.zhHant, title: '專案說明' },
    { file: 'mixed.pdf', type: 'pdf', language: 'mixed', contains: 'PostgreSQL 和 Redis' },
    { file: 'docx/english.docx', type: 'docx', language: 'en', contains: TEXT.enPage2, title: 'Quarterly Report' },
    { file: 'sales.xlsx', type: 'xlsx', language: 'mixed', contains: '华东 | 笔记本电脑 | 12500', title: '销售数据' },
    { file: 'roadmap.pptx', type: 'pptx', language: 'en', contains: 'Launch the search service in the second quarter.', title: 'Roadmap', pages: 2 },
    { file: 'page.html', type: 'html', language: 'en', contains: TEXT.enPage2, title: 'News' },
    { file: 'guide.md', type: 'markdown', language: 'mixed', contains: 'AI Stack 是一个知识库平台。', title: '使用指南' },
    { file: 'notes-gb18030.txt', type: 'text', language: 'zh-Hans', contains: TEXT.zhHans, encoding: 'gb18030' },
    { file: 'notes-big5.txt', type: 'text', language: 'zh-Hant', contains: TEXT.zhHant, encoding: 'big5' },
    { file: 'notes-utf16.txt', type: 'text', language: 'mixed', contains: TEXT.mixed, encoding: 'utf-16le' },
    { file: 'table-gbk.csv', type: 'csv', language: 'zh-Hans', contains: '北京 | 2189 | 16410', encoding: 'gb18030' },
    { file: 'progress.eml', type: 'eml', language: 'zh-Hans', contains: '搜索服务已经完成测试。', title: '项目进度更新' },
  ];

  it.each(cases)('$file → $type, $language', async (c) => {
    const name = c.file.split('/').pop() as string;
    const res = await upload(ctx.svc, ctx.files.bytes(c.file), name);
    expect(res.status).toBe(202);
    const doc = await settled(ctx.svc, res.body.document.id);
    expect(doc).toMatchObject({ status: 'ready', detected_type: c.type, warnings: [] });
    const text = await (await ctx.svc.call(`/api/v1/documents/${doc.id}/text`)).text();
    expect(text).toContain(c.contains);
    expect(text).not.toContain('\uFFFD');
    const meta = (await (await ctx.svc.call(`/api/v1/documents/${doc.id}/metadata`)).json()).metadata;
    expect(meta.language).toBe(c.language);
    if (c.title) expect(meta.title).toBe(c.title);
    if (c.pages) expect(meta.pages).toBe(c.pages);
    if (c.encoding) expect(meta.encoding).toBe(c.encoding);
    const chunks = await allChunks(ctx.svc, doc.id);
    expect(chunks.some((chunk) => chunk.text.includes(c.contains.slice(0, 12)))).toBe(true);
  });

  it('a scanned PDF without a text layer ends ready with a "no text layer" warning', async () => {
    const res = await upload(ctx.svc, ctx.files.bytes('scanned.pdf'), 'scan.pdf');
    const doc = await settled(ctx.svc, res.body.document.id);
    expect(doc.status).toBe('ready');
    expect(doc.warnings).toEqual([expect.stringContaining('no text layer')]);
    expect(await allChunks(ctx.svc, doc.id)).toEqual([]);
  });

  it('a 200-page PDF keeps the page of every chunk', async () => {
    const res = await upload(ctx.svc, ctx.files.bytes('long.pdf'), 'long.pdf');
    const doc = await settled(ctx.svc, res.body.document.id, 120_000);
    expect(doc.status).toBe('ready');
    const meta = (await (await ctx.svc.call(`/api/v1/documents/${doc.id}/metadata`)).json()).metadata;
    expect(meta.pages).toBe(200);
    const chunks = await allChunks(ctx.svc, doc.id);
    const page150 = chunks.find((c) => c.text.includes('This is page 150 of the long report.'));
    expect(page150?.page).toBe(150);
    expect(new Set(chunks.map((c) => c.page)).size).toBe(200);
    const text = await (await ctx.svc.call(`/api/v1/documents/${doc.id}/text`)).text();
    for (const chunk of chunks) expect(text.slice(chunk.start_offset, chunk.end_offset)).toBe(chunk.text);
  });
});
