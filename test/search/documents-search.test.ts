import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus, type Corpus } from '../../fixtures/documents-corpus.ts';
import { settled, upload } from '../documents/support.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';

// Issue 16's done-when on the embedded defaults: a Chinese DOCX uploaded through the API is found by a
// sub-word, its traditional form, its pinyin initials (suggest) and a synonym, with correct highlights.
describe('searching an uploaded Chinese DOCX (embedded defaults)', () => {
  let svc: TestService;
  let files: Corpus;
  let documentId: number;

  beforeAll(async () => {
    files = await corpus();
    svc = await startTestService('sqlite');
    await svc.runtime.startBackground();
    const created = await upload(svc, files.bytes('docx/chinese.docx'), '年度报告.docx', { tags: 'finance' });
    documentId = created.body.document.id;
    expect((await settled(svc, documentId)).status).toBe('ready');
    // A second document, so the vector ranking has something to rank below the Chinese one.
    const english = await upload(svc, files.bytes('docx/english.docx'), 'quarterly.docx');
    expect((await settled(svc, english.body.document.id)).status).toBe('ready');
  }, 240_000);
  afterAll(async () => svc?.cleanup());

  const search = async (query: string) => (await svc.call(`/api/v1/search?${query}`)).json();

  it('finds a sub-word and marks it on the original text', async () => {
    await eventually(async () => (await search('q=收入')).total > 0, 30_000, 'the ready document to be indexed');
    const result = await search(`q=${encodeURIComponent('收入')}&facets=type,tags`);
    expect(result.hits[0].documentId).toBe(String(documentId));
    expect(result.hits[0].highlight.snippet).toContain('<mark>收入</mark>');
    expect(result.facets.type).toEqual({ docx: expect.any(Number) });
    expect(result.facets.tags).toEqual({ finance: expect.any(Number) });
  });

  it('finds it from the traditional form', async () => {
    const result = await search(`q=${encodeURIComponent('物流費用')}`);
    expect(result.hits[0].documentId).toBe(String(documentId));
    expect(result.hits[0].highlight.snippet).toContain('<mark>物流费用</mark>');
  });

  it('suggests its title from pinyin initials', async () => {
    const { data } = await (await svc.call('/api/v1/search/suggest?q=ndbg')).json();
    expect(data.map((s: { documentId: string }) => s.documentId)).toContain(String(documentId));
  });

  it('finds it through a synonym set by the admin API, without a restart', async () => {
    expect((await search(`q=${encodeURIComponent('营收')}&mode=lexical`)).total).toBe(0);
    const put = await svc.call('/admin/search/settings', { method: 'PUT', json: { synonyms: [['营收', '收入']] } });
    expect(put.status).toBe(200);
    const result = await search(`q=${encodeURIComponent('营收')}&mode=lexical`);
    expect(result.hits[0].documentId).toBe(String(documentId));
    expect(result.hits[0].highlight.snippet).toContain('<mark>收入</mark>');
  });

  it("fuses the documents' vectors by default (hybrid), and answers mode=lexical|vector|hybrid", async () => {
    await eventually(async () => (await search('q=warehouse&mode=lexical')).total > 0, 20_000, 'the English document to be indexed');
    const plain = await search(`q=${encodeURIComponent('物流费用')}`);
    expect(plain.mode).toBe('hybrid');
    expect(plain.hits[0].documentId).toBe(String(documentId));
    expect(plain.hits[0].highlight.snippet).toContain('<mark>物流费用</mark>');
    // The characters of 物流费用 out of order: no word matches, the hashing vectors still share characters.
    const scrambled = encodeURIComponent('流物用费');
    expect((await search(`q=${scrambled}&mode=lexical`)).total).toBe(0);
    const vector = await search(`q=${scrambled}&mode=vector`);
    expect(vector.mode).toBe('vector');
    expect(vector.hits[0].documentId).toBe(String(documentId));
    expect((await search(`q=${scrambled}&mode=hybrid`)).hits[0].documentId).toBe(String(documentId));
    // Filters hold for neighbours found by meaning too.
    expect((await search(`q=${scrambled}&mode=vector&tags=finance`)).hits.every((h: { documentId: string }) => h.documentId === String(documentId))).toBe(true);
    const bad = await svc.call(`/api/v1/search?q=x&mode=semantic`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
  });

  it('shows the analysis of a text, answers bad queries with 400, and rebuilds through a task', async () => {
    const analysis = await (await svc.call(`/api/v1/search/analyze?text=${encodeURIComponent('中国农业发展银行')}&mode=index`)).json();
    expect(analysis.tokens.map((t: { term: string }) => t.term)).toEqual(expect.arrayContaining(['农业', '农业发展银行']));
    expect((await svc.call(`/api/v1/search?q=${'x'.repeat(1_001)}`)).status).toBe(400);
    expect((await svc.call('/api/v1/search?q=-only')).status).toBe(400);
    const rebuild = await svc.call('/admin/search/rebuild', { method: 'POST' });
    expect(rebuild.status).toBe(202);
    const { id } = await rebuild.json();
    await eventually(async () => (await (await svc.call(`/admin/tasks/jobs/${id}`)).json()).state === 'completed', 60_000, 'the rebuild task');
    expect((await search(`q=${encodeURIComponent('收入')}`)).hits[0].documentId).toBe(String(documentId));
  });
});
