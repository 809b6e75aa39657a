// ai-stack/documents: upload, extraction, metadata, chunking and vectors. This file is the module's whole public face.
import type { Kysely } from 'kysely';
import { createBlobStore, type BlobStore } from '../blobs/index.ts';
import type { DocumentsConfig, EmbeddingsConfig } from '../config/index.ts';
import type { DatabaseSchema } from '../db/schema.ts';
import type { Logger } from '../shared/logger.ts';
import { embedderFor, type Embedder } from './embed/index.ts';
import { DocumentEvents } from './events.ts';
import { DocumentPipeline } from './pipeline.ts';
import { DocumentStore } from './store.ts';
import { createDocumentTasks, type DocumentTasks } from './tasks.ts';
import type { ChunkOptions } from './text/chunk.ts';
import { DEFAULT_EXTRACT_LIMITS } from './extract/types.ts';

export { documentResource, documentFromRow, DOCUMENT_STATUSES, type DocumentItem, type DocumentCreate, type DocumentPatch } from './resource.ts';
export { documentRoutes, type DocumentRouteDeps } from './routes.ts';
export { DocumentStore, type StoredChunk, type DocumentRow, type DocumentStoreOptions } from './store.ts';
export type { VectorHit, VectorIndexKind } from './vector-index.ts';
export { DocumentPipeline, DocumentStepError, STEPS, type ProcessResult, type PipelineDeps } from './pipeline.ts';
export { DocumentEvents, type DocumentReadyEvent, type DocumentReadyListener } from './events.ts';
export {
  createDocumentTasks,
  PROCESS_DOCUMENT_UPLOAD,
  EXTRACT_DOCUMENT_METADATA,
  VECTORIZE_DOCUMENTS,
  CLEANUP_OLD_DOCUMENTS,
  SWEEP_DOCUMENT_UPLOADS,
  type DocumentTasks,
  type CleanupResult,
} from './tasks.ts';
export { acceptUpload, safeFilename } from './upload.ts';
export {
  embedderFor,
  createHashingEmbedder,
  createOpenAiEmbedder,
  createOnnxEmbedder,
  embeddingSpace,
  hybridWeight,
  EmbeddingError,
  type Embedder,
  type OpenAiEmbedderOptions,
  type OnnxEmbedderOptions,
} from './embed/index.ts';
export { extractDocument } from './extract/index.ts';
export { detectType } from './extract/detect.ts';
export { decodeText } from './extract/decode.ts';
export { runExtraction, type IsolationOptions } from './extract/isolated.ts';
export { UnsupportedDocumentError, UnreadableDocumentError } from './extract/errors.ts';
export { DOCUMENT_TYPES, DEFAULT_EXTRACT_LIMITS, type DocumentType, type ExtractedDocument, type Block, type ExtractLimits } from './extract/types.ts';
export { assemble, type AssembledText, type Span } from './text/assemble.ts';
export { chunkText, DEFAULT_CHUNK_OPTIONS, type Chunk, type ChunkOptions } from './text/chunk.ts';
export { documentMetadata, countWords, type DocumentMetadata } from './text/metadata.ts';
export { detectLanguage, type Language } from './text/language.ts';
export { tokenCount, TOKENIZER } from './text/tokens.ts';

export interface DocumentsModule {
  store: DocumentStore;
  blobs: BlobStore;
  embedder: Embedder;
  events: DocumentEvents;
  pipeline: DocumentPipeline;
  tasks: DocumentTasks;
  close(): Promise<void>;
}

export interface DocumentsModuleOptions {
  db: Kysely<DatabaseSchema>;
  dataDir: string;
  documents: DocumentsConfig;
  embeddings: EmbeddingsConfig;
  logger: Logger;
  /** Overrides for tests and embedding: another store or embedder, chunk sizes. */
  blobs?: BlobStore;
  embedder?: Embedder;
  chunking?: ChunkOptions;
}

/** Everything the documents pipeline needs, built from the configuration (the composition root calls this). */
export function createDocumentsModule(options: DocumentsModuleOptions): DocumentsModule {
  const store = new DocumentStore(options.db);
  const blobs = options.blobs ?? createBlobStore(options.documents.blobUrl, options.dataDir);
  const embedder = options.embedder ?? embedderFor(options.embeddings);
  const events = new DocumentEvents(options.logger);
  const pipeline = new DocumentPipeline({
    store,
    blobs,
    embedder,
    events,
    logger: options.logger,
    extraction: {
      timeoutMs: options.documents.extractTimeoutMs,
      memoryMb: options.documents.extractMemoryMb,
      limits: { ...DEFAULT_EXTRACT_LIMITS, maxPages: options.documents.extractMaxPages },
    },
    ...(options.chunking ? { chunking: options.chunking } : {}),
  });
  const tasks = createDocumentTasks({ pipeline, store, blobs, config: options.documents, logger: options.logger });
  return {
    store,
    blobs,
    embedder,
    events,
    pipeline,
    tasks,
    async close() {
      await embedder.close?.();
      await blobs.close();
    },
  };
}
