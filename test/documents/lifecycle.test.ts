import { describe, expect, it } from 'vitest';
import { acceptUpload, createHashingEmbedder, DocumentPipeline } from '../../src/documents/index.ts';
import { allChunks, documentService, settled, upload } from './support.ts';

describe('documents: retry, reprocess, sweeper and model changes', () => {
  const ctx = documentService('sqlite');

  it('retries only failed documents; reprocessing a ready one duplicates nothing', async () => {
    const docx = ctx.files.bytes('docx/english.docx');
    const broken = await upload(ctx.svc, docx.subarray(0, Math.floor(docx.length / 2)), 'broken.docx');
    const failed = await settled(ctx.svc, broken.body.document.id);
    expect(failed).toMatchObject({ status: 'failed', error_step: 'extract' });
    const retry = await ctx.svc.call(`/api/v1/documents/${failed.id}/retry`, { method: 'POST' });
    expect(retry.status).toBe(202);
    expect((await retry.json()).task.id).toEqual(expect.any(String));
    expect((await settled(ctx.svc, failed.id)).status).toBe('failed');

    const good = await upload(ctx.svc, ctx.files.bytes('english.pdf'), 'english.pdf');
    const ready = await settled(ctx.svc, good.body.document.id);
    const before = await allChunks(ctx.svc, ready.id);
    expect((await ctx.svc.call(`/api/v1/documents/${ready.id}/retry`, { method: 'POST' })).status).toBe(409);
    const again = await ctx.svc.call(`/api/v1/documents/${ready.id}/reprocess`, { method: 'POST' });
    expect(again.status).toBe(202);
    const { task } = await again.json();
    await ctx.svc.runtime.tasks.system.result(task.id).get({ timeout: 60_000 });
    const after = await allChunks(ctx.svc, ready.id);
    expect(after.map((c) => [c.ordinal, c.text, c.page])).toEqual(before.map((c) => [c.ordinal, c.text, c.page]));
    const vectors = await ctx.svc.runtime.db.kysely
      .selectFrom('document_vectors')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('document_id', '=', ready.id)
      .executeTakeFirst();
    expect(Number(vectors?.n)).toBe(after.length);
  });

  it('the sweeper enqueues an upload whose task was never sent (a crash between row and queue)', async () => {
    const { store, blobs } = ctx.svc.runtime.tasks.documents;
    const { row } = await acceptUpload(
      blobs,
      store,
      { stream: (await import('node:stream')).Readable.from([Buffer.from('Orphaned upload: the process died before enqueueing it.')]), filename: 'orphan.txt' },
      1e6,
    );
    expect(row.status).toBe('uploaded');
    expect(row.task_id).toBeNull();
    // Nothing happens to it on its own; the sweeper finds it once it is older than the threshold.
    const sweep = (await (await ctx.svc.runtime.tasks.system.send('documents.sweep_document_uploads', { olderThanMs: 0 })).get({ timeout: 30_000 })) as {
      requeued: number[];
    };
    expect(sweep.requeued).toContain(row.id);
    expect((await settled(ctx.svc, row.id)).status).toBe('ready');
    const second = (await (await ctx.svc.runtime.tasks.system.send('documents.sweep_document_uploads', { olderThanMs: 0 })).get({ timeout: 30_000 })) as {
      requeued: number[];
    };
    expect(second.requeued).not.toContain(row.id);
  });

  it('a new embedding model replaces the vectors instead of adding to them', async () => {
    const res = await upload(ctx.svc, ctx.files.bytes('chinese.pdf'), 'chinese.pdf');
    const doc = await settled(ctx.svc, res.body.document.id);
    const modules = ctx.svc.runtime.tasks.documents;
    const small = new DocumentPipeline({ ...modules.pipeline.deps, embedder: createHashingEmbedder({ dimension: 64 }) });
    const chunks = (await allChunks(ctx.svc, doc.id)).length;
    expect(await small.vectorize([doc.id])).toBe(chunks);
    expect(await small.vectorize([doc.id])).toBe(0);
    const rows = await ctx.svc.runtime.db.kysely.selectFrom('document_vectors').select(['model', 'dimension']).where('document_id', '=', doc.id).execute();
    expect(rows).toHaveLength(chunks);
    expect(new Set(rows.map((r) => `${r.model}/${r.dimension}`))).toEqual(new Set(['hashing-ngram-v1@64/64']));
  });
});
