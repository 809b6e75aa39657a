import type { Logger } from '../shared/logger.ts';

/** What listeners learn when a document's text, chunks and vectors are in place. */
export interface DocumentReadyEvent {
  documentId: number;
  chunkCount: number;
  /** `model@dimension` of its vectors, or null when vectorizing was skipped (no chunks). */
  embeddingSpace: string | null;
}

export type DocumentReadyListener = (event: DocumentReadyEvent) => void | Promise<void>;

/**
 * The "document became ready" hook. It runs in the worker that processed the document, after the
 * status is `ready`; a failing listener is logged and never fails the document. (The search module
 * indexes chunks here; a listener that must not miss an event also sweeps `ready_at` on start.)
 */
export class DocumentEvents {
  readonly #listeners = new Set<DocumentReadyListener>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  onReady(listener: DocumentReadyListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async emitReady(event: DocumentReadyEvent): Promise<void> {
    for (const listener of this.#listeners) {
      try {
        await listener(event);
      } catch (error) {
        this.#logger.error({ err: error, documentId: event.documentId }, 'document-ready listener failed');
      }
    }
  }
}
