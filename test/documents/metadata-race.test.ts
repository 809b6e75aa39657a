import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.ts';
import { documentService, settled, upload } from './support.ts';

/**
 * The extracted metadata and the thumbnail are saved by two steps that run at the same time, each changing one
 * entry of the same JSON column. A read-change-write without a version check lost one of them on PostgreSQL (CI,
 * 7 December: a document ready whose /metadata was null).
 */
describe.each(DIALECTS)('documents: concurrent metadata changes (%s)', (dialect) => {
  const ctx = documentService(dialect);

  it('keeps both the extracted metadata and the thumbnail when they are saved at the same time', async () => {
    const res = await upload(ctx.svc, new TextEncoder().encode(`# Notes ${randomBytes(6).toString('hex')}\n\nSome text.`), 'notes.md');
    const id = res.body.document.id as number;
    expect(await settled(ctx.svc, id)).toMatchObject({ status: 'ready' });
    const store = ctx.svc.runtime.tasks.documents.store;
    for (let round = 0; round < 25; round++) {
      const extracted = { round, words: round * 10 };
      const thumbnail = { round, variants: ['small'] };
      await Promise.all([
        store.saveMetadata(id, { detected_type: 'markdown', media_type: 'text/markdown', extracted }),
        store.saveThumbnail(id, thumbnail),
        store.saveMetadata(id, { detected_type: 'markdown', media_type: 'text/markdown', extracted }),
        store.saveThumbnail(id, thumbnail),
      ]);
      const row = await store.get(id);
      const metadata = JSON.parse(String(row?.metadata)) as Record<string, unknown>;
      expect(metadata.extracted, `round ${round}`).toEqual(extracted);
      expect(metadata.thumbnail, `round ${round}`).toEqual(thumbnail);
    }
  });
});
