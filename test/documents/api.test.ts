import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysMatching, SHARED_REDIS_URL } from '../support/redis.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { startTestS3, type TestS3 } from '../support/s3.ts';
import { corpus, TEXT, type Corpus } from '../../fixtures/documents-corpus.ts';
import { allChunks, settled, upload } from './support.ts';

const SETUPS = [
  { name: 'embedded defaults (SQLite, SQLite queue, filesystem blobs)', dialect: 'sqlite' as const, distributed: false },
  { name: 'PostgreSQL + Redis + S3-compatible blobs', dialect: 'postgres' as const, distributed: true },
];

describe.each(SETUPS)('documents through the API: $name', ({ dialect, distributed }) => {
  let svc: TestService;
  let files: Corpus;
  let s3: TestS3 | undefined;
  const prefix = `t-docs-${randomBytes(4).toString('hex')}`;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    files = await corpus();
    const env: Record<string, string> = {};
    if (distributed) {
      s3 = await startTestS3();
      Object.assign(env, { REDIS_URL: SHARED_REDIS_URL, AI_STACK_REDIS_PREFIX: prefix, AI_STACK_BLOB_URL: s3.url('docs') });
    }
    svc = await startTestService(dialect, env);
    await svc.runtime.startBackground();
  }, 240_000);

  afterAll(async () => {
    await svc?.cleanup();
    await s3?.close();
    if (distributed) await deleteKeysMatching(SHARED_REDIS_URL, `${prefix}*`);
  });

  it('accepts an English PDF and a Chinese DOCX as multipart uploads with 202, Location and a task handle', async () => {
    const pdf = await upload(svc, files.bytes('english.pdf'), 'quarterly.pdf', { tags: 'finance, q3' });
    expect(pdf.status).toBe(202);
    expect(pdf.body.document).toMatchObject({
      status: 'uploaded',
      filename: 'quarterly.pdf',
      media_type: 'application/pdf',
      detected_type: 'pdf',
      has_content: true,
      metadata: { tags: ['finance', 'q3'] },
    });
    expect(pdf.body.task.id).toEqual(expect.any(String));
    // The handle is the task's real admin route (it said /admin/tasks/{id}, which does not exist).
    expect(pdf.body.task.status_url).toBe(`/admin/tasks/jobs/${encodeURIComponent(pdf.body.task.id)}`);
    const task = await svc.call(pdf.body.task.status_url);
    expect(task.status).toBe(200);
    expect((await task.json()).id).toBe(pdf.body.task.id);
    expect(pdf.location).toBe(`/api/v1/documents/${pdf.body.document.id}`);
    ids.pdf = pdf.body.document.id;
    const docx = await upload(svc, files.bytes('docx/chinese.docx'), '年度报告.docx', { title: '二〇二五年度报告' });
    expect(docx.status).toBe(202);
    ids.docx = docx.body.document.id;
  });

  it('processes both to ready with the right metadata', async () => {
    const pdf = await settled(svc, ids.pdf as number);
    expect(pdf).toMatchObject({ status: 'ready', error: null, warnings: [], title: 'Quarterly Report', embedding_model: 'hashing-ngram-v1@384' });
    const pdfMeta = (await (await svc.call(`/api/v1/documents/${ids.pdf}/metadata`)).json()).metadata;
    expect(pdfMeta).toMatchObject({ type: 'pdf', title: 'Quarterly Report', author: 'Alice Smith', language: 'en', pages: 2 });
    expect(pdfMeta.words).toBeGreaterThan(20);
    expect(pdfMeta.outline.map((o: { title: string }) => o.title)).toEqual(['Quarterly Report', 'Costs']);
    expect(pdfMeta.created).toMatch(/^\d{4}-\d\d-\d\dT/);

    const docx = await settled(svc, ids.docx as number);
    expect(docx).toMatchObject({ status: 'ready', title: '二〇二五年度报告' });
    const docxMeta = (await (await svc.call(`/api/v1/documents/${ids.docx}/metadata`)).json()).metadata;
    expect(docxMeta).toMatchObject({ type: 'docx', title: '年度报告', author: '张伟', language: 'zh-Hans' });
    expect(docxMeta.outline.map((o: { title: string }) => o.title)).toEqual(['年度报告', '成本']);
  });

  it('stores chunks whose offsets index the extracted text, with the page of each sentence', async () => {
    const text = await (await svc.call(`/api/v1/documents/${ids.pdf}/text`)).text();
    expect(text).toContain(TEXT.enPage1);
    expect(text).toContain(TEXT.enPage2);
    const chunks = await allChunks(svc, ids.pdf as number);
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
    for (const chunk of chunks) {
      expect(text.slice(chunk.start_offset, chunk.end_offset)).toBe(chunk.text);
      expect(chunk.token_count).toBeGreaterThan(0);
    }
    const page2 = chunks.find((c) => c.text.includes(TEXT.enPage2));
    expect(page2).toMatchObject({ page: 2, section: 'Quarterly Report > Costs' });
    expect(chunks.find((c) => c.text.includes(TEXT.enPage1))?.page).toBe(1);

    const zh = await allChunks(svc, ids.docx as number);
    expect(zh.find((c) => c.text.includes(TEXT.zhHans))).toMatchObject({ section: '年度报告' });
    const paged = await (await svc.call(`/api/v1/documents/${ids.pdf}/chunks?offset=1&limit=1`)).json();
    expect(paged).toMatchObject({ total: chunks.length, offset: 1, limit: 1 });
    expect(paged.data).toHaveLength(chunks.length > 1 ? 1 : 0);
  });

  it('answers similar-chunk queries in Chinese and English with the right chunk first', async () => {
    const en = await (await svc.call(`/api/v1/documents/similar?text=${encodeURIComponent('Rotterdam warehouse shipping costs')}&k=3`)).json();
    expect(en.model).toBe('hashing-ngram-v1@384');
    expect(en.data[0]).toMatchObject({ document_id: ids.pdf, page: 2 });
    expect(en.data[0].text).toContain('Rotterdam');
    const zh = await (await svc.call(`/api/v1/documents/similar?text=${encodeURIComponent('收入增长百分之十二')}&k=2`)).json();
    expect(zh.data[0].document_id).toBe(ids.docx);
    expect(zh.data[0].text).toContain('收入增长');
    expect((await svc.call('/api/v1/documents/similar?text=&k=3')).status).toBe(400);
  });

  it('returns the existing document for the same content (200 + Location), not a copy', async () => {
    const again = await upload(svc, files.bytes('english.pdf'), 'copy-of-quarterly.pdf');
    expect(again.status).toBe(200);
    expect(again.location).toBe(`/api/v1/documents/${ids.pdf}`);
    expect(again.body.document.id).toBe(ids.pdf);
    const list = await (await svc.call('/api/v1/documents?page_size=100')).json();
    expect(list.data.filter((d: { sha256: string }) => d.sha256 === again.body.document.sha256)).toHaveLength(1);
  });

  it('serves the original with ETag, Range and an RFC 5987 Chinese file name', async () => {
    const original = files.bytes('docx/chinese.docx');
    const full = await svc.call(`/api/v1/documents/${ids.docx}/content`);
    expect(full.status).toBe(200);
    expect(Buffer.from(await full.arrayBuffer()).equals(original)).toBe(true);
    expect(full.headers.get('content-disposition')).toBe(`attachment; filename="????.docx"; filename*=UTF-8''${encodeURIComponent('年度报告')}.docx`);
    const etag = full.headers.get('etag') as string;
    expect((await svc.call(`/api/v1/documents/${ids.docx}/content`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const part = await svc.call(`/api/v1/documents/${ids.docx}/content`, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${original.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(original.subarray(10, 20))).toBe(true);
    const tail = await svc.call(`/api/v1/documents/${ids.docx}/content`, { headers: { range: 'bytes=-5' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(original.subarray(-5))).toBe(true);
    const outside = await svc.call(`/api/v1/documents/${ids.docx}/content`, { headers: { range: `bytes=${original.length}-` } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('soft-deletes, then cleanup_old_documents lists (dry run) and removes the document with its blob', async () => {
    const doomed = await upload(svc, Buffer.from(`Temporary note ${randomBytes(8).toString('hex')}. It will be removed.`), 'temp.txt');
    const id = doomed.body.document.id as number;
    await settled(svc, id);
    expect((await svc.call(`/api/v1/documents/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await svc.call(`/api/v1/documents/${id}`)).status).toBe(404);
    expect((await svc.call(`/api/v1/documents/${id}/chunks`)).status).toBe(404);
    const list = await (await svc.call('/api/v1/documents?page_size=100')).json();
    expect(list.data.map((d: { id: number }) => d.id)).not.toContain(id);
    const system = svc.runtime.tasks.system;
    // Grace period 0 days: what was deleted before now is due.
    const documents = svc.runtime.tasks.documents;
    const blobKey = (await documents.store.get(id, { includeDeleted: true }))?.blob_key as string;
    const cleanup = system.definition('documents.cleanup_old_documents');
    expect(cleanup).toBeDefined();
    const dry = (await (await system.send('documents.cleanup_old_documents', { dryRun: true })).get({ timeout: 30_000 })) as { documents: { id: number }[] };
    expect(dry.documents.map((d) => d.id)).not.toContain(id);
    await documents.store.db.updateTable('documents').set({ deleted_at: '2000-01-01T00:00:00.000Z' }).where('id', '=', id).execute();
    const dryAgain = (await (await system.send('documents.cleanup_old_documents', { dryRun: true })).get({ timeout: 30_000 })) as {
      documents: { id: number; reason: string }[];
    };
    expect(dryAgain.documents).toContainEqual({ id, reason: 'deleted', blobRemoved: false });
    expect(await documents.blobs.stat(blobKey)).toBeDefined();
    const real = (await (await system.send('documents.cleanup_old_documents', {})).get({ timeout: 30_000 })) as {
      documents: { id: number; blobRemoved: boolean }[];
    };
    expect(real.documents).toContainEqual({ id, reason: 'deleted', blobRemoved: true });
    expect(await documents.store.get(id, { includeDeleted: true })).toBeUndefined();
    expect(await documents.blobs.stat(blobKey)).toBeUndefined();
    expect((await documents.store.chunks(id, { offset: 0, limit: 10 })).total).toBe(0);
  });

  it('lists every document route in the OpenAPI document', async () => {
    const spec = await (await svc.call('/docs/json')).json();
    for (const path of [
      '/api/v1/documents',
      '/api/v1/documents/similar',
      '/api/v1/documents/{id}/content',
      '/api/v1/documents/{id}/text',
      '/api/v1/documents/{id}/chunks',
      '/api/v1/documents/{id}/metadata',
      '/api/v1/documents/{id}/retry',
      '/api/v1/documents/{id}/reprocess',
    ]) {
      expect(Object.keys(spec.paths)).toContain(path);
    }
  });
});
