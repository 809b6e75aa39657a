import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { BlobInfo, BlobStore } from '../blobs/index.ts';
import { AiStackError, NotFoundError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { embeddingSpace, type Embedder } from './embed/index.ts';
import { UnreadableDocumentError } from './extract/errors.ts';
import type { IsolationOptions } from './extract/isolated.ts';
import { MEDIA_TYPES, type Block, type DocumentType } from './extract/types.ts';
import { UnreadableImageError } from '../images/index.ts';
import type { DocumentEvents } from './events.ts';
import { openBlocks, readAll, type BlockSource } from './source.ts';
import { storeThumbnails } from './thumbnail.ts';
import type { DocumentRow, DocumentStore } from './store.ts';
import { TextAssembler } from './text/assemble.ts';
import { ChunkStream, DEFAULT_CHUNK_OPTIONS, type Chunk, type ChunkOptions } from './text/chunk.ts';
import { MetadataCounter, type DocumentMetadata } from './text/metadata.ts';

export const STEPS = ['detect', 'extract', 'metadata', 'chunk', 'thumbnail', 'vectorize'] as const;
export type Step = (typeof STEPS)[number];

/** A processing step failed; `document` says whether the file is at fault (no retry helps) or the system is. */
export class DocumentStepError extends AiStackError {
  readonly step: Step;
  readonly fileProblem: boolean;
  constructor(step: Step, cause: unknown) {
    const inner = cause instanceof Error ? cause.message : String(cause);
    const status = cause instanceof AiStackError ? cause.status : 500;
    super(`${step} failed: ${inner}`, { code: 'document_processing_failed', status: status === 415 || status === 422 ? status : 500, cause });
    this.step = step;
    this.fileProblem = status === 415 || status === 422;
  }
}

export interface PipelineDeps {
  store: DocumentStore;
  blobs: BlobStore;
  embedder: Embedder;
  events: DocumentEvents;
  logger: Logger;
  extraction: IsolationOptions;
  chunking?: ChunkOptions;
}

export interface ProcessResult {
  documentId: number;
  status: 'ready';
  type: string;
  chunks: number;
  vectors: number;
  warnings: string[];
}

/** Where a document's extracted text is kept (in the blob store, next to its file): the coordinate system of its chunk offsets. */
export function textKey(documentId: number): string {
  return `texts/${documentId}`;
}

/** Chunk rows are written in batches of this many while the text streams past. */
const CHUNK_BATCH = 200;

/**
 * Files up to this size get their thumbnail made while their text is read (see process()). A larger file waits
 * for the scan to finish, so it is in memory once at a time, not once for the extraction and once for pdftoppm.
 */
const THUMBNAIL_BESIDE_SCAN_MAX_BYTES = 16 * 1024 * 1024;

/** The extracted text streamed into the blob store as it is produced (with backpressure), committed atomically at the end. */
class TextSink {
  readonly #stream = new PassThrough();
  readonly #done: Promise<BlobInfo>;

  constructor(blobs: BlobStore, key: string) {
    this.#done = blobs.put(key, this.#stream);
    // Observed by write/end; a failure before then must not be an unhandled rejection.
    this.#done.catch(() => undefined);
  }

  async write(piece: string): Promise<void> {
    if (!this.#stream.write(piece)) await Promise.race([once(this.#stream, 'drain'), this.#done]);
  }

  async end(): Promise<void> {
    this.#stream.end();
    await this.#done;
  }

  abort(error: Error): void {
    this.#stream.destroy(error);
  }
}

interface ScanResult {
  metadata: DocumentMetadata;
  type: string;
  warnings: string[];
  chunks: number;
}

/** detect → extract → metadata → chunk → vectorize, and the thumbnail beside them. Every step can run again without duplicating anything. */
export class DocumentPipeline {
  readonly deps: PipelineDeps;

  constructor(deps: PipelineDeps) {
    this.deps = deps;
  }

  async #step<T>(step: Step, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw error instanceof DocumentStepError ? error : new DocumentStepError(step, error);
    }
  }

  async #load(documentId: number): Promise<DocumentRow & { blob_key: string }> {
    const row = await this.deps.store.get(documentId);
    if (!row) throw new NotFoundError(`Document ${documentId}`);
    if (!row.blob_key) throw new UnreadableDocumentError(`document ${documentId} has no stored content (a metadata-only record)`);
    return row as DocumentRow & { blob_key: string };
  }

  /**
   * One streaming pass over the document: detect → extract → (text, metadata, chunks). With `write`, the
   * text goes to the blob store and chunk rows to the database in batches as they are made; nothing the
   * size of the file is held (for the streamed formats; see source.ts for the others).
   */
  async #scan(row: DocumentRow & { blob_key: string }, write: boolean, onDetected?: (type: DocumentType) => void): Promise<ScanResult> {
    const { store, blobs } = this.deps;
    const limits = this.deps.extraction.limits;
    const { type, open } = await this.#step('detect', () =>
      openBlocks({ blobs, key: row.blob_key, size: Number(row.size_bytes), filename: row.filename, extraction: this.deps.extraction }),
    );
    onDetected?.(type);
    const source: BlockSource = await this.#step('extract', open);
    const assembler = new TextAssembler(limits?.maxTextChars);
    const counter = new MetadataCounter();
    const chunker = new ChunkStream(this.deps.chunking ?? DEFAULT_CHUNK_OPTIONS);
    let pending: Chunk[] = [];
    let chunkCount = 0;
    const flush = async (all: boolean) => {
      if (!write || (pending.length < CHUNK_BATCH && !all) || pending.length === 0) return;
      const batch = pending;
      pending = [];
      await this.#step('chunk', () => store.insertChunks(row.id, batch));
    };
    if (write) await this.#step('chunk', () => store.clearContent(row.id));
    const sink = write ? new TextSink(blobs, textKey(row.id)) : undefined;
    try {
      const blocks = source.blocks[Symbol.asyncIterator]();
      for (;;) {
        const next: IteratorResult<Block> = await this.#step('extract', () => blocks.next());
        if (next.done) break;
        const added = assembler.add(next.value);
        if (assembler.truncated) {
          await blocks.return?.();
          break;
        }
        if (!added) continue;
        counter.add(added.piece, next.value, added.text);
        await this.#step('chunk', async () => {
          await sink?.write(added.piece);
          const made = chunker.push(added.piece, added.span);
          chunkCount += made.length;
          if (write) pending.push(...made);
        });
        await flush(false);
      }
      const last = chunker.end();
      chunkCount += last.length;
      if (write) pending.push(...last);
      await flush(true);
      await this.#step('chunk', async () => sink?.end());
    } catch (error) {
      sink?.abort(error as Error);
      throw error;
    }
    const info = source.info();
    const warnings = [...info.warnings];
    if (assembler.truncated) warnings.push(`the text was cut at ${assembler.length} characters (AI_STACK_EXTRACT limit)`);
    if (assembler.length === 0 && warnings.length === 0) warnings.push('no text found in the document');
    const metadata = await this.#step('metadata', async () => counter.result(info));
    await this.#step('metadata', () =>
      this.deps.store.saveMetadata(row.id, {
        detected_type: info.type,
        media_type: info.type === 'image' ? row.media_type : MEDIA_TYPES[info.type],
        extracted: { ...metadata },
        title: keepTitle(row, metadata),
      }),
    );
    return { metadata, type: info.type, warnings, chunks: chunkCount };
  }

  /** `extract_document_metadata`: re-reads the file and stores its metadata. */
  async extractMetadata(documentId: number): Promise<DocumentMetadata> {
    const row = await this.#load(documentId);
    return (await this.#scan(row, false)).metadata;
  }

  /** `process_document_upload`: the whole chain, with the document's status kept in step; `onStep` hears each step start. */
  async process(documentId: number, onStep: (step: Step, index: number, steps: number) => Promise<void> = async () => {}): Promise<ProcessResult> {
    const row = await this.#load(documentId);
    await this.deps.store.markProcessing(documentId);
    let thumbnail: Promise<string | undefined> | undefined;
    try {
      // Extraction, metadata and chunking are one streaming pass (#scan); progress reports it as one step.
      // The thumbnail needs only the file and the type: it is made beside the scan (pdftoppm is its own process,
      // sharp encodes on libuv's threads, extraction has its thread), not after it, and the document is ready
      // when both are done.
      await onStep('extract', 0, 3);
      const beside = Number(row.size_bytes) <= THUMBNAIL_BESIDE_SCAN_MAX_BYTES;
      const { type, warnings, chunks } = await this.#scan(row, true, (detected) => {
        if (!beside) return;
        thumbnail = this.#thumbnail(row, detected);
        // Observed below (and awaited on failure); a scan failure first must not leave it unhandled.
        thumbnail.catch(() => undefined);
      });
      await onStep('vectorize', 1, 3);
      const vectors = await this.vectorize([documentId]);
      await onStep('thumbnail', 2, 3);
      const thumbnailProblem = await (thumbnail ?? this.#thumbnail(row, type));
      if (thumbnailProblem) warnings.push(thumbnailProblem);
      const space = chunks > 0 ? embeddingSpace(this.deps.embedder) : null;
      await this.deps.store.markReady(documentId, { warnings, embedding_model: space });
      await this.deps.events.emitReady({ documentId, chunkCount: chunks, embeddingSpace: space });
      return { documentId, status: 'ready', type, chunks, vectors, warnings };
    } catch (error) {
      // A thumbnail still being made finishes before the failure is recorded: a retry never runs beside it.
      await thumbnail?.catch(() => undefined);
      const stepError = error instanceof DocumentStepError ? error : new DocumentStepError('extract', error);
      await this.deps.store
        .markFailed(documentId, stepError.step, stepError.message)
        .catch((e: unknown) => this.deps.logger.error({ err: e, documentId }, 'could not record the failure'));
      throw stepError;
    }
  }

  /**
   * Thumbnails of an image or a PDF's first page, in the blob store. An image is kept for its picture, so an
   * image that cannot be decoded (truncated, a decompression bomb) fails the document with the reason; a PDF
   * without a thumbnail is still readable, so there it is a warning (returned). A blob-store failure is the
   * system's and fails the step (the task retries).
   */
  async #thumbnail(row: DocumentRow & { blob_key: string }, type: string): Promise<string | undefined> {
    const { blobs, store } = this.deps;
    try {
      const record = await storeThumbnails(blobs, row.sha256, type, async () => readAll(await blobs.get(row.blob_key), Number(row.size_bytes)));
      await store.saveThumbnail(row.id, record ? { ...record } : null);
      return undefined;
    } catch (error) {
      if (type === 'image' || !(error instanceof UnreadableImageError)) throw new DocumentStepError('thumbnail', error);
      await store.saveThumbnail(row.id, null);
      return `no thumbnail: ${error.message}`;
    }
  }

  /** `vectorize_documents`: embeds the chunks that have no vector in the current space; returns how many it added. */
  async vectorize(documentIds: readonly number[]): Promise<number> {
    return this.#step('vectorize', async () => {
      const { embedder, store } = this.deps;
      let added = 0;
      // Keyset over chunk ids: each batch starts after the last, so a document of many chunks is read once, not once per batch.
      let after = 0;
      for (;;) {
        // The OpenAI embedder learns its dimension from the first answer: embed before naming the space.
        const space = embedder.dimension > 0 ? embeddingSpace(embedder) : undefined;
        if (space) await store.dropOtherVectors(documentIds, space);
        const batch = await store.chunksWithoutVectors(documentIds, space ?? `${embedder.model}@?`, embedder.batchSize, after);
        if (batch.length === 0) return added;
        const vectors = await embedder.embed(batch.map((c) => c.text));
        const learned = embeddingSpace(embedder);
        if (!space) await store.dropOtherVectors(documentIds, learned);
        await store.saveVectors(
          batch.map((c, i) => ({ chunk_id: c.id, document_id: c.document_id, vector: vectors[i] as Float32Array })),
          learned,
        );
        added += batch.length;
        after = batch.at(-1)?.id ?? after;
      }
    });
  }

  /** Nearest chunks to `text` among live documents, by cosine similarity in the current embedding space. */
  async similar(text: string, k: number): Promise<{ score: number; chunk: Awaited<ReturnType<DocumentStore['chunksByIds']>>[number] }[]> {
    const [query] = await this.deps.embedder.embed([text]);
    if (!query) return [];
    const hits = await this.deps.store.nearest(query, embeddingSpace(this.deps.embedder), k);
    const chunks = new Map((await this.deps.store.chunksByIds(hits.map((h) => h.chunk_id))).map((c) => [c.id, c]));
    return hits.flatMap((hit) => {
      const chunk = chunks.get(hit.chunk_id);
      return chunk ? [{ score: hit.score, chunk }] : [];
    });
  }
}

/** The file's own title replaces the upload's default title (its file name), never one the user gave. */
function keepTitle(row: DocumentRow, metadata: DocumentMetadata): string | null {
  return row.title === row.filename && metadata.title ? metadata.title : null;
}
