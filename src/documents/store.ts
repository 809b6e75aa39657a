import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema, DocumentsTable } from '../db/schema.ts';
import type { Chunk } from './text/chunk.ts';
import { SQLITE_VEC_MAX_K, SqliteVecIndex, type VectorHit, type VectorIndex, type VectorIndexKind } from './vector-index.ts';

export type DocumentRow = Selectable<DocumentsTable>;

/** The stable chunk schema the search module indexes. */
export interface StoredChunk {
  id: number;
  document_id: number;
  ordinal: number;
  text: string;
  page: number | null;
  start_offset: number;
  end_offset: number;
  section: string | null;
  token_count: number;
}

export interface NewUpload {
  title: string;
  filename: string;
  media_type: string;
  size_bytes: number;
  sha256: string;
  blob_key: string;
  detected_type: string;
  metadata: Record<string, unknown>;
}

const now = () => new Date().toISOString();

export function vectorBytes(vector: Float32Array): Uint8Array {
  return new Uint8Array(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength));
}

export function vectorFrom(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes);
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

/** All SQL of the documents pipeline, one query code for SQLite and PostgreSQL. */
export interface DocumentStoreOptions {
  /** `auto` (default): sqlite-vec where it is loaded (SQLite), else exact search; `exact`: always scan. */
  vectorIndex?: 'auto' | 'exact';
}

export class DocumentStore {
  readonly db: Kysely<DatabaseSchema>;
  readonly #options: DocumentStoreOptions;
  #index: Promise<VectorIndex | undefined> | undefined;

  constructor(db: Kysely<DatabaseSchema>, options: DocumentStoreOptions = {}) {
    this.db = db;
    this.#options = options;
  }

  /** The k-NN index beside `document_vectors`, decided once: sqlite-vec when the connection has it loaded. */
  #vectorIndex(): Promise<VectorIndex | undefined> {
    this.#index ??= (async () => {
      if (this.#options.vectorIndex === 'exact') return undefined;
      return (await SqliteVecIndex.available(this.db)) ? new SqliteVecIndex(this.db) : undefined;
    })();
    return this.#index;
  }

  /** How the nearest-chunks query runs on this database: `sqlite-vec`, or `exact` (PostgreSQL, or SQLite without the extension). */
  async vectorSearch(): Promise<VectorIndexKind> {
    return (await this.#vectorIndex())?.kind ?? 'exact';
  }

  /** Takes vectors out of the index before their rows go (a virtual table is not reached by foreign-key cascades). */
  async #unindex(query: (db: Kysely<DatabaseSchema>) => Promise<{ chunk_id: number; dimension: number }[]>): Promise<void> {
    const index = await this.#vectorIndex();
    if (index) await index.remove(await query(this.db));
  }

  async get(id: number, options: { includeDeleted?: boolean } = {}): Promise<DocumentRow | undefined> {
    let query = this.db.selectFrom('documents').selectAll().where('id', '=', id);
    if (!options.includeDeleted) query = query.where('deleted_at', 'is', null);
    return query.executeTakeFirst();
  }

  /** The live upload with this content, if any. */
  async findBySha(sha256: string): Promise<DocumentRow | undefined> {
    return this.db
      .selectFrom('documents')
      .selectAll()
      .where('sha256', '=', sha256)
      .where('blob_key', 'is not', null)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
  }

  /** Inserts the upload, or returns the live document that already has this content (`created: false`). */
  async insertUpload(upload: NewUpload): Promise<{ row: DocumentRow; created: boolean }> {
    const existing = await this.findBySha(upload.sha256);
    if (existing) return { row: existing, created: false };
    const stamp = now();
    try {
      const row = await this.db
        .insertInto('documents')
        .values({ ...upload, metadata: JSON.stringify(upload.metadata), status: 'uploaded', created_at: stamp, updated_at: stamp })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { row, created: true };
    } catch (error) {
      // Two uploads of the same bytes at once: the unique index lets one in; the other gets that one.
      const winner = await this.findBySha(upload.sha256);
      if (winner) return { row: winner, created: false };
      throw error;
    }
  }

  /** Title and tags given in form fields that came after the file part; the row as it is afterwards. */
  async applyUploadFields(row: DocumentRow, fields: { title?: string | undefined; tags?: string[] | undefined }): Promise<DocumentRow> {
    const metadata = JSON.parse(String(row.metadata)) as Record<string, unknown>;
    const title = fields.title ?? row.title;
    const tagsChanged = fields.tags !== undefined && JSON.stringify(metadata.tags) !== JSON.stringify(fields.tags);
    if (title === row.title && !tagsChanged) return row;
    const next = JSON.stringify(tagsChanged ? { ...metadata, tags: fields.tags } : metadata);
    return this.db
      .updateTable('documents')
      .set((eb) => ({ title, metadata: next, updated_at: now(), version: eb('version', '+', 1) }))
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async setTask(id: number, taskId: string): Promise<void> {
    await this.db.updateTable('documents').set({ task_id: taskId, updated_at: now() }).where('id', '=', id).execute();
  }

  async markProcessing(id: number): Promise<void> {
    const stamp = now();
    await this.db
      .updateTable('documents')
      .set((eb) => ({ status: 'processing', error: null, error_step: null, processing_started_at: stamp, updated_at: stamp, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
  }

  async markReady(id: number, fields: { warnings: string[]; embedding_model: string | null }): Promise<void> {
    const stamp = now();
    await this.db
      .updateTable('documents')
      .set((eb) => ({
        status: 'ready',
        error: null,
        error_step: null,
        warnings: JSON.stringify(fields.warnings),
        embedding_model: fields.embedding_model,
        ready_at: stamp,
        updated_at: stamp,
        version: eb('version', '+', 1),
      }))
      .where('id', '=', id)
      .execute();
  }

  async markFailed(id: number, step: string, error: string): Promise<void> {
    await this.db
      .updateTable('documents')
      .set((eb) => ({ status: 'failed', error_step: step, error: error.slice(0, 2000), updated_at: now(), version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
  }

  /** Stores what extraction found: detected type, metadata (merged under `extracted`), optional title. */
  async saveMetadata(
    id: number,
    fields: { detected_type: string; media_type: string; extracted: Record<string, unknown>; title?: string | null },
  ): Promise<void> {
    await this.#changeMetadata(id, (metadata) => ({ ...metadata, extracted: fields.extracted }), {
      detected_type: fields.detected_type,
      media_type: fields.media_type,
      ...(fields.title ? { title: fields.title.slice(0, 500) } : {}),
    });
  }

  /** Records the document's thumbnails under `metadata.thumbnail` (or removes the entry with `null`). */
  async saveThumbnail(id: number, thumbnail: Record<string, unknown> | null): Promise<void> {
    await this.#changeMetadata(id, ({ thumbnail: _old, ...rest }) => (thumbnail === null ? rest : { ...rest, thumbnail }));
  }

  /**
   * Changes one entry of a row's metadata JSON without losing another's change: the metadata and the thumbnail are
   * saved by two steps that run at the same time (the thumbnail is made beside the scan), and a plain read, change
   * and write let the later write put back the entry the earlier one had just replaced (seen on PostgreSQL: a
   * document ready with no extracted metadata). The write goes through only if the row's version is still the one
   * read; otherwise it reads again.
   */
  async #changeMetadata(
    id: number,
    change: (metadata: Record<string, unknown>) => Record<string, unknown>,
    columns: { detected_type?: string; media_type?: string; title?: string } = {},
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const row = await this.get(id, { includeDeleted: true });
      if (!row) return;
      const metadata = change(JSON.parse(String(row.metadata)) as Record<string, unknown>);
      const result = await this.db
        .updateTable('documents')
        .set((eb) => ({ ...columns, metadata: JSON.stringify(metadata), updated_at: now(), version: eb('version', '+', 1) }))
        .where('id', '=', id)
        .where('version', '=', row.version)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) return;
      if (attempt >= 20) throw new Error(`the metadata of document ${id} changed under each of ${attempt} attempts to update it`);
    }
  }

  /**
   * Drops a document's chunks, vectors and (pre-streaming) stored text before it is chunked again, in one
   * transaction; the new chunks follow in batches (`insertChunks`). A crash in between leaves the document
   * `processing` with some chunks, which the next run drops again: never duplicates (ordinals are unique).
   */
  async clearContent(id: number): Promise<void> {
    await this.#unindex((db) => db.selectFrom('document_vectors').select(['chunk_id', 'dimension']).where('document_id', '=', id).execute());
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('document_vectors').where('document_id', '=', id).execute();
      await trx.deleteFrom('document_chunks').where('document_id', '=', id).execute();
      await trx.deleteFrom('document_texts').where('document_id', '=', id).execute();
    });
  }

  async insertChunks(id: number, chunks: readonly Chunk[]): Promise<void> {
    if (chunks.length === 0) return;
    const rows = chunks.map((c) => ({
      document_id: id,
      ordinal: c.ordinal,
      text: c.text,
      token_count: c.tokenCount,
      page: c.page,
      start_offset: c.start,
      end_offset: c.end,
      section: c.section,
    }));
    await this.db.insertInto('document_chunks').values(rows).execute();
  }

  /** The text stored in the database by versions before the text went to the blob store. */
  async legacyText(id: number): Promise<string | undefined> {
    return (await this.db.selectFrom('document_texts').select('text').where('document_id', '=', id).executeTakeFirst())?.text;
  }

  async chunks(id: number, page: { offset: number; limit: number }): Promise<{ total: number; data: StoredChunk[] }> {
    const total = Number(
      (
        await this.db
          .selectFrom('document_chunks')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('document_id', '=', id)
          .executeTakeFirst()
      )?.n ?? 0,
    );
    const data = await this.db
      .selectFrom('document_chunks')
      .select(['id', 'document_id', 'ordinal', 'text', 'page', 'start_offset', 'end_offset', 'section', 'token_count'])
      .where('document_id', '=', id)
      .orderBy('ordinal')
      .offset(page.offset)
      .limit(page.limit)
      .execute();
    return { total, data };
  }

  /** Chunks of these documents that have no vector in `space` yet (so re-running vectorize adds nothing twice). */
  async chunksWithoutVectors(
    documentIds: readonly number[],
    space: string,
    limit: number,
    afterChunkId = 0,
  ): Promise<{ id: number; document_id: number; text: string }[]> {
    if (documentIds.length === 0) return [];
    return this.db
      .selectFrom('document_chunks as c')
      .leftJoin('document_vectors as v', (join) => join.onRef('v.chunk_id', '=', 'c.id').on('v.model', '=', space))
      .select(['c.id', 'c.document_id', 'c.text'])
      .where('c.document_id', 'in', [...documentIds])
      .where('v.chunk_id', 'is', null)
      .where('c.id', '>', afterChunkId)
      .orderBy('c.id')
      .limit(limit)
      .execute();
  }

  /** Vectors of another model are dropped first: changing the model re-vectorizes. */
  async dropOtherVectors(documentIds: readonly number[], space: string): Promise<void> {
    if (documentIds.length === 0) return;
    await this.#unindex((db) =>
      db
        .selectFrom('document_vectors')
        .select(['chunk_id', 'dimension'])
        .where('document_id', 'in', [...documentIds])
        .where('model', '!=', space)
        .execute(),
    );
    await this.db
      .deleteFrom('document_vectors')
      .where('document_id', 'in', [...documentIds])
      .where('model', '!=', space)
      .execute();
  }

  async saveVectors(rows: { chunk_id: number; document_id: number; vector: Float32Array }[], space: string): Promise<void> {
    if (rows.length === 0) return;
    const dimension = rows[0]?.vector.length ?? 0;
    await this.db
      .insertInto('document_vectors')
      .values(rows.map((r) => ({ chunk_id: r.chunk_id, document_id: r.document_id, model: space, dimension, embedding: vectorBytes(r.vector) })))
      .onConflict((oc) =>
        oc
          .column('chunk_id')
          .doUpdateSet((eb) => ({ model: eb.ref('excluded.model'), dimension: eb.ref('excluded.dimension'), embedding: eb.ref('excluded.embedding') })),
      )
      .execute();
    await (await this.#vectorIndex())?.add(rows, space);
  }

  /**
   * Nearest chunks of live documents by cosine: through the vector index when there is one (asking for more
   * neighbours while deleted documents' chunks crowd the answer), else the exact scan.
   */
  async nearest(query: Float32Array, space: string, k: number): Promise<VectorHit[]> {
    const index = await this.#vectorIndex();
    if (!index) return this.nearestExact(query, space, k);
    for (let want = k; want <= SQLITE_VEC_MAX_K; want *= 4) {
      const hits = await index.nearest(query, space, want);
      const live = new Set(
        hits.length === 0
          ? []
          : (
              await this.db
                .selectFrom('document_vectors as v')
                .innerJoin('documents as d', 'd.id', 'v.document_id')
                .select('v.chunk_id')
                .where(
                  'v.chunk_id',
                  'in',
                  hits.map((h) => h.chunk_id),
                )
                .where('v.model', '=', space)
                .where('d.deleted_at', 'is', null)
                .execute()
            ).map((r) => r.chunk_id),
      );
      const found = hits.filter((h) => live.has(h.chunk_id));
      if (found.length >= k || hits.length < want) return found.slice(0, k);
    }
    return this.nearestExact(query, space, k);
  }

  /**
   * Exact nearest chunks by cosine (vectors are unit length, so a dot product), scanning the space's vectors
   * in pages of `pageSize` and keeping the best k: the documented fallback where no vector index exists.
   */
  async nearestExact(query: Float32Array, space: string, k: number, pageSize = 2000): Promise<VectorHit[]> {
    const best: { chunk_id: number; score: number }[] = [];
    let after = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('document_vectors as v')
        .innerJoin('documents as d', 'd.id', 'v.document_id')
        .select(['v.chunk_id', 'v.embedding'])
        .where('v.model', '=', space)
        .where('d.deleted_at', 'is', null)
        .where('v.chunk_id', '>', after)
        .orderBy('v.chunk_id')
        .limit(pageSize)
        .execute();
      for (const row of rows) {
        const vector = vectorFrom(row.embedding);
        if (vector.length !== query.length) continue;
        let score = 0;
        for (let i = 0; i < vector.length; i++) score += (vector[i] as number) * (query[i] as number);
        if (best.length < k || score > (best.at(-1)?.score ?? -Infinity)) {
          best.push({ chunk_id: row.chunk_id, score });
          best.sort((a, b) => b.score - a.score);
          if (best.length > k) best.pop();
        }
      }
      if (rows.length < pageSize) break;
      after = rows.at(-1)?.chunk_id ?? after;
    }
    return best;
  }

  async chunksByIds(ids: readonly number[]): Promise<(StoredChunk & { title: string })[]> {
    if (ids.length === 0) return [];
    return this.db
      .selectFrom('document_chunks as c')
      .innerJoin('documents as d', 'd.id', 'c.document_id')
      .select(['c.id', 'c.document_id', 'c.ordinal', 'c.text', 'c.page', 'c.start_offset', 'c.end_offset', 'c.section', 'c.token_count', 'd.title'])
      .where('c.id', 'in', [...ids])
      .execute();
  }

  /** Uploads left `uploaded`/`processing` and untouched since `before` (candidates for the sweeper). */
  async stalled(before: string, limit = 100): Promise<DocumentRow[]> {
    return this.db
      .selectFrom('documents')
      .selectAll()
      .where('status', 'in', ['uploaded', 'processing'])
      .where('blob_key', 'is not', null)
      .where('deleted_at', 'is', null)
      .where('updated_at', '<', before)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  async softDelete(id: number): Promise<boolean> {
    const stamp = now();
    const result = await this.db
      .updateTable('documents')
      .set((eb) => ({ deleted_at: stamp, updated_at: stamp, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Documents `cleanup_old_documents` removes under the retention rules. */
  async expired(rules: { readyBefore?: string; failedBefore: string; deletedBefore: string }, limit: number): Promise<DocumentRow[]> {
    return this.db
      .selectFrom('documents')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb('deleted_at', '<', rules.deletedBefore),
          eb.and([eb('status', '=', 'failed'), eb('deleted_at', 'is', null), eb('updated_at', '<', rules.failedBefore)]),
          ...(rules.readyBefore ? [eb.and([eb('status', '=', 'ready'), eb('deleted_at', 'is', null), eb('created_at', '<', rules.readyBefore)])] : []),
        ]),
      )
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** Deletes the row (chunks, text and vectors cascade); true when it was there. */
  async purge(id: number): Promise<boolean> {
    await this.#unindex((db) => db.selectFrom('document_vectors').select(['chunk_id', 'dimension']).where('document_id', '=', id).execute());
    const result = await this.db.deleteFrom('documents').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Whether any other document row still refers to this blob (content-addressed blobs are shared by re-uploads). */
  async blobInUse(blobKey: string): Promise<boolean> {
    return (await this.db.selectFrom('documents').select('id').where('blob_key', '=', blobKey).limit(1).executeTakeFirst()) !== undefined;
  }
}
