import type { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/index.ts';
import { AiStackError, NotFoundError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { embeddingSpace, type Embedder } from './embed/index.ts';
import { detectType } from './extract/detect.ts';
import { UnreadableDocumentError } from './extract/errors.ts';
import { runExtraction, type IsolationOptions } from './extract/isolated.ts';
import { MEDIA_TYPES, type ExtractedDocument } from './extract/types.ts';
import type { DocumentEvents } from './events.ts';
import type { DocumentRow, DocumentStore } from './store.ts';
import { assemble } from './text/assemble.ts';
import { chunkText, DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from './text/chunk.ts';
import { documentMetadata, type DocumentMetadata } from './text/metadata.ts';

export const STEPS = ['detect', 'extract', 'metadata', 'chunk', 'vectorize'] as const;
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

/** Reads a whole blob into one exactly-sized buffer (its ArrayBuffer is handed to the extraction thread, not copied). */
async function readAll(stream: Readable, size: number): Promise<Buffer> {
  const out = Buffer.allocUnsafeSlow(size);
  let offset = 0;
  for await (const part of stream) {
    const chunk = part as Buffer;
    if (offset + chunk.length > size) throw new UnreadableDocumentError(`the stored content is larger than the recorded ${size} bytes`);
    chunk.copy(out, offset);
    offset += chunk.length;
  }
  if (offset !== size) throw new UnreadableDocumentError(`the stored content has ${offset} of the recorded ${size} bytes`);
  return out;
}

/** detect → extract → metadata → chunk → vectorize. Every step can run again without duplicating anything. */
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

  /** detect + extract, isolated in a worker thread. */
  async extract(row: DocumentRow & { blob_key: string }): Promise<ExtractedDocument> {
    const bytes = await this.#step('detect', async () => readAll(await this.deps.blobs.get(row.blob_key), Number(row.size_bytes)));
    const type = await this.#step('detect', () => detectType(bytes, row.filename));
    return this.#step('extract', () => runExtraction(bytes, { ...this.deps.extraction, type, filename: row.filename }));
  }

  /** `extract_document_metadata`: re-reads the file and stores its metadata. */
  async extractMetadata(documentId: number): Promise<DocumentMetadata> {
    const row = await this.#load(documentId);
    const extracted = await this.extract(row);
    const { text } = assemble(extracted.blocks, this.deps.extraction.limits?.maxTextChars);
    return this.#step('metadata', async () => {
      const metadata = documentMetadata(extracted, text);
      await this.deps.store.saveMetadata(documentId, { detected_type: extracted.type, media_type: MEDIA_TYPES[extracted.type], extracted: { ...metadata, warnings: extracted.warnings }, title: keepTitle(row, metadata) });
      return metadata;
    });
  }

  /** `process_document_upload`: the whole chain, with the document's status kept in step; `onStep` hears each step start. */
  async process(documentId: number, onStep: (step: Step, index: number, steps: number) => Promise<void> = async () => {}): Promise<ProcessResult> {
    const row = await this.#load(documentId);
    await this.deps.store.markProcessing(documentId);
    try {
      await onStep('extract', 0, 4);
      const extracted = await this.extract(row);
      const { text, spans } = assemble(extracted.blocks, this.deps.extraction.limits?.maxTextChars);
      const warnings = [...extracted.warnings];
      if (text === '' && warnings.length === 0) warnings.push('no text found in the document');
      await onStep('metadata', 1, 4);
      await this.#step('metadata', async () => {
        const metadata = documentMetadata(extracted, text);
        await this.deps.store.saveMetadata(documentId, { detected_type: extracted.type, media_type: MEDIA_TYPES[extracted.type], extracted: { ...metadata }, title: keepTitle(row, metadata) });
      });
      await onStep('chunk', 2, 4);
      const chunks = await this.#step('chunk', async () => {
        const made = chunkText({ text, spans }, this.deps.chunking ?? DEFAULT_CHUNK_OPTIONS);
        await this.deps.store.replaceContent(documentId, text, made);
        return made;
      });
      await onStep('vectorize', 3, 4);
      const vectors = await this.vectorize([documentId]);
      const space = chunks.length > 0 ? embeddingSpace(this.deps.embedder) : null;
      await this.deps.store.markReady(documentId, { warnings, embedding_model: space });
      await this.deps.events.emitReady({ documentId, chunkCount: chunks.length, embeddingSpace: space });
      return { documentId, status: 'ready', type: extracted.type, chunks: chunks.length, vectors, warnings };
    } catch (error) {
      const stepError = error instanceof DocumentStepError ? error : new DocumentStepError('extract', error);
      await this.deps.store.markFailed(documentId, stepError.step, stepError.message).catch((e: unknown) => this.deps.logger.error({ err: e, documentId }, 'could not record the failure'));
      throw stepError;
    }
  }

  /** `vectorize_documents`: embeds the chunks that have no vector in the current space; returns how many it added. */
  async vectorize(documentIds: readonly number[]): Promise<number> {
    return this.#step('vectorize', async () => {
      const { embedder, store } = this.deps;
      let added = 0;
      for (;;) {
        // The OpenAI embedder learns its dimension from the first answer: embed before naming the space.
        const space = embedder.dimension > 0 ? embeddingSpace(embedder) : undefined;
        if (space) await store.dropOtherVectors(documentIds, space);
        const batch = await store.chunksWithoutVectors(documentIds, space ?? `${embedder.model}@?`, embedder.batchSize);
        if (batch.length === 0) return added;
        const vectors = await embedder.embed(batch.map((c) => c.text));
        const learned = embeddingSpace(embedder);
        if (!space) await store.dropOtherVectors(documentIds, learned);
        await store.saveVectors(batch.map((c, i) => ({ chunk_id: c.id, document_id: c.document_id, vector: vectors[i] as Float32Array })), learned);
        added += batch.length;
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
