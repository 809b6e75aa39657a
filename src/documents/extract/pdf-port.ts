import type * as PdfJs from 'pdfjs-dist/legacy/build/pdf.mjs';

type Listener = (event: { data: unknown }) => void;
type Transfer = NonNullable<Parameters<typeof structuredClone>[1]>['transfer'];

/** What pdf.worker.mjs exports (it ships no type declarations). */
interface PdfWorkerModule {
  WorkerMessageHandler: { initializeFromPort(port: InThreadPdfPort): void };
}

/** A message of pdf.js's text-content stream: one batch of text items. */
interface TextContentChunk {
  chunk: { items: unknown[]; styles?: object; lang?: string | null };
}

function isTextContentChunk(data: unknown): data is TextContentChunk {
  const chunk = (data as { chunk?: { items?: unknown } } | null)?.chunk;
  return typeof chunk === 'object' && chunk !== null && Array.isArray(chunk.items);
}

/**
 * The port between pdf.js's API and its worker code when both run in this thread, as they do in Node (pdf.js calls
 * that a "fake worker"). pdf.js's own port copies every message with structuredClone, as a real worker boundary
 * would: for text extraction that copies every text item of every page once more (structuredClone was about a
 * tenth of the CPU time of the benchmark's libraries-alone contender, 7 December). This port hands a batch of
 * text items over with a shallow copy of the batch: the worker code replaces the batch's `items` and `styles`
 * after sending it (`enqueueChunk` in pdf.worker.mjs) and never changes an item it has sent, and the API side
 * only reads them. Every other message is copied with structuredClone, as before. A PDF's extraction took 4-9 %
 * less through this port (the same process, calls alternating). test/documents/pdf-port.test.ts holds the text content through this port
 * equal to pdf.js's own on the test PDFs, so a pdf.js update that starts changing sent items fails there.
 */
export class InThreadPdfPort {
  readonly #listeners = new Set<Listener>();

  postMessage(data: unknown, transfer?: Transfer): void {
    const copy = isTextContentChunk(data) ? { ...data, chunk: { ...data.chunk } } : structuredClone(data, transfer ? { transfer } : undefined);
    // Delivered on a later microtask, like pdf.js's own port: the sender finishes what it is doing first.
    queueMicrotask(() => {
      for (const listener of this.#listeners) listener.call(this, { data: copy });
    });
  }

  addEventListener(_type: 'message', listener: Listener): void {
    this.#listeners.add(listener);
  }

  removeEventListener(_type: 'message', listener: Listener): void {
    this.#listeners.delete(listener);
  }

  terminate(): void {
    this.#listeners.clear();
  }
}

// A specifier TypeScript does not resolve: the module ships no type declarations (PdfWorkerModule says what is used).
const PDF_WORKER_MODULE: string = 'pdfjs-dist/legacy/build/pdf.worker.mjs';
let workerLoading: Promise<PdfWorkerModule> | undefined;

/** A pdf.js worker for one document, running in this thread behind an InThreadPdfPort. */
export async function inThreadPdfWorker(pdfjs: typeof PdfJs): Promise<PdfJs.PDFWorker> {
  // The module pdf.js itself would load for its in-thread worker (it caches it the same way).
  workerLoading ??= import(PDF_WORKER_MODULE) as Promise<PdfWorkerModule>;
  const { WorkerMessageHandler } = await workerLoading;
  const port = new InThreadPdfPort();
  WorkerMessageHandler.initializeFromPort(port);
  return pdfjs.PDFWorker.create({ port, verbosity: 0 });
}
