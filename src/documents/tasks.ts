import { Type } from 'typebox';
import type { BlobStore } from '../blobs/index.ts';
import type { DocumentsConfig } from '../config/index.ts';
import type { Logger } from '../shared/logger.ts';
import { defineTask, NonRetryableError, type BoundTask, type ScheduleSpec, type TaskDefinition, type TaskSystem } from '../tasks/index.ts';
import { DocumentStepError, textKey, type DocumentPipeline, type ProcessResult } from './pipeline.ts';
import type { DocumentStore } from './store.ts';
import { deleteThumbnails } from './thumbnail.ts';
import type { DocumentMetadata } from './text/metadata.ts';

export const PROCESS_DOCUMENT_UPLOAD = 'documents.process_document_upload';
export const EXTRACT_DOCUMENT_METADATA = 'documents.extract_document_metadata';
export const VECTORIZE_DOCUMENTS = 'documents.vectorize_documents';
export const CLEANUP_OLD_DOCUMENTS = 'documents.cleanup_old_documents';
export const SWEEP_DOCUMENT_UPLOADS = 'documents.sweep_document_uploads';

const DocumentId = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });
const ProcessArgs = Type.Object({ documentId: DocumentId, filePath: Type.Optional(Type.String({ maxLength: 1024 })) }, { additionalProperties: false });
const MetadataArgs = Type.Object({ documentId: DocumentId }, { additionalProperties: false });
const VectorizeArgs = Type.Object({ documentIds: Type.Array(DocumentId, { minItems: 1, maxItems: 10_000 }) }, { additionalProperties: false });
const CleanupArgs = Type.Object(
  { dryRun: Type.Optional(Type.Boolean()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) },
  { additionalProperties: false },
);
const SweepArgs = Type.Object({ olderThanMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 24 * 3600_000 })) }, { additionalProperties: false });

export interface CleanupResult {
  dryRun: boolean;
  documents: { id: number; reason: 'retention' | 'failed' | 'deleted'; blobRemoved: boolean }[];
}

export interface DocumentTaskDeps {
  pipeline: DocumentPipeline;
  store: DocumentStore;
  blobs: BlobStore;
  config: DocumentsConfig;
  logger: Logger;
}

/** A file's own problem (unsupported, unreadable) is final: retrying cannot fix the bytes. */
function final<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((error: unknown) => {
    if (error instanceof DocumentStepError && error.fileProblem) throw new NonRetryableError(error.message);
    throw error;
  });
}

const DAY_MS = 24 * 3600_000;
const LIVE_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export interface DocumentTasks {
  definitions: TaskDefinition[];
  schedules: ScheduleSpec[];
  /** Binds the task system the sweeper enqueues on (it exists only after the definitions are registered). */
  attach(system: TaskSystem): void;
  processUpload(system: TaskSystem): BoundTask<{ documentId: number; filePath?: string }, ProcessResult>;
}

/** The seed's four `documents` tasks, plus the sweeper that re-enqueues uploads whose task was lost. */
export function createDocumentTasks(deps: DocumentTaskDeps): DocumentTasks {
  const { pipeline, store, blobs, config } = deps;
  let system: TaskSystem | undefined;

  const process = defineTask(
    PROCESS_DOCUMENT_UPLOAD,
    { queue: 'documents', args: ProcessArgs, retries: { max: 3, backoff: { delayMs: 2_000, maxMs: 60_000 } }, dedupe: (args) => String(args.documentId) },
    async ({ documentId, filePath }, ctx) => {
      if (filePath !== undefined) {
        const row = await store.get(documentId);
        if (row && row.blob_key !== filePath)
          throw new NonRetryableError(`filePath "${filePath}" is not the stored content of document ${documentId} (${row.blob_key ?? 'none'})`);
      }
      const result = await final(() => pipeline.process(documentId, (step, done, total) => ctx.progress({ done, total }, step)));
      await ctx.progress(1, 'ready');
      return result;
    },
  );
  const metadata = defineTask(
    EXTRACT_DOCUMENT_METADATA,
    { queue: 'documents', args: MetadataArgs, retries: { max: 2, backoff: { delayMs: 2_000 } } },
    ({ documentId }): Promise<DocumentMetadata> => final(() => pipeline.extractMetadata(documentId)),
  );
  const vectorize = defineTask(
    VECTORIZE_DOCUMENTS,
    { queue: 'documents', args: VectorizeArgs, retries: { max: 5, backoff: { delayMs: 5_000, maxMs: 300_000 } } },
    async ({ documentIds }) => ({
      vectors: await pipeline.vectorize(documentIds),
      model: `${pipeline.deps.embedder.model}@${pipeline.deps.embedder.dimension}`,
    }),
  );
  const cleanup = defineTask(
    CLEANUP_OLD_DOCUMENTS,
    { queue: 'documents', args: CleanupArgs, retries: { max: 2, backoff: { delayMs: 60_000 } } },
    async ({ dryRun = false, limit = 1000 }): Promise<CleanupResult> => {
      const at = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();
      const rows = await store.expired(
        {
          failedBefore: at(config.failedRetentionDays),
          deletedBefore: at(config.deletedGraceDays),
          ...(config.retentionDays > 0 ? { readyBefore: at(config.retentionDays) } : {}),
        },
        limit,
      );
      const documents: CleanupResult['documents'] = [];
      for (const row of rows) {
        const reason = row.deleted_at ? 'deleted' : row.status === 'failed' ? 'failed' : 'retention';
        let blobRemoved = false;
        if (!dryRun) {
          // Row first (chunks, text and vectors go with it in one statement), then the blob if no row uses it:
          // a crash in between leaves an orphan blob, never a row without its content.
          await store.purge(row.id);
          await blobs.delete(textKey(row.id));
          if (row.blob_key && !(await store.blobInUse(row.blob_key))) {
            blobRemoved = await blobs.delete(row.blob_key);
            await deleteThumbnails(blobs, row.sha256);
          }
        }
        documents.push({ id: row.id, reason, blobRemoved });
      }
      deps.logger.info({ dryRun, removed: documents.length }, 'cleanup_old_documents');
      return { dryRun, documents };
    },
  );
  const sweep = defineTask(SWEEP_DOCUMENT_UPLOADS, { queue: 'documents', args: SweepArgs, retries: { max: 1 } }, async ({ olderThanMs = 60_000 }) => {
    if (!system) throw new Error('document tasks are not attached to a task system');
    const requeued: number[] = [];
    for (const row of await store.stalled(new Date(Date.now() - olderThanMs).toISOString())) {
      const job = row.task_id ? await system.findJob(row.task_id) : undefined;
      if (job && LIVE_STATES.has(await job.getState())) continue;
      const handle = await system.task(process).delay({ documentId: row.id });
      await store.setTask(row.id, handle.id);
      requeued.push(row.id);
    }
    if (requeued.length > 0) deps.logger.warn({ documents: requeued }, 're-enqueued uploads that had no live processing task');
    return { requeued };
  });

  return {
    definitions: [process, metadata, vectorize, cleanup, sweep] as TaskDefinition[],
    schedules: [
      { id: 'documents.cleanup_old_documents.daily', task: CLEANUP_OLD_DOCUMENTS, args: {}, cron: '17 3 * * *' },
      { id: 'documents.sweep_document_uploads.every-1m', task: SWEEP_DOCUMENT_UPLOADS, args: {}, every: 60_000 },
    ],
    attach(bound) {
      system = bound;
    },
    processUpload: (bound) => bound.task(process),
  };
}
