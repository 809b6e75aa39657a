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

/** Returned by copyPlainData for a value it does not copy itself: the message then goes through structuredClone. */
const NOT_PLAIN = Symbol('not plain data');
const MAX_DEPTH = 32;

/**
 * A copy of JSON-like data (primitives, arrays, objects whose prototype is Object.prototype or null) equal to what
 * structuredClone makes of it: own enumerable string keys, array holes kept, a null-prototype object made a plain
 * one. Anything else (typed arrays, Maps, class instances, functions, cycles, deep nesting) answers NOT_PLAIN.
 */
function copyPlainData(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' || typeof value === 'symbol' ? NOT_PLAIN : value;
  if (depth > MAX_DEPTH) return NOT_PLAIN;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value) && prototype === Array.prototype) {
    let plain = true;
    // map() skips holes and keeps them, as structuredClone does.
    const copy = value.map((item: unknown) => {
      const copied = plain ? copyPlainData(item, depth + 1) : undefined;
      if (copied === NOT_PLAIN) plain = false;
      return copied;
    });
    return plain ? copy : NOT_PLAIN;
  }
  if (prototype !== Object.prototype && prototype !== null) return NOT_PLAIN;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const copied = copyPlainData((value as Record<string, unknown>)[key], depth + 1);
    if (copied === NOT_PLAIN) return NOT_PLAIN;
    copy[key] = copied;
  }
  return copy;
}

/**
 * The port between pdf.js's API and its worker code when both run in this thread, as they do in Node (pdf.js calls
 * that a "fake worker"). pdf.js's own port copies every message with structuredClone, as a real worker boundary
 * would, and structuredClone was about a tenth of the CPU time of the benchmark's libraries-alone contender (7
 * December): it copies every text item once more, and its fixed cost per call is paid by every small message of
 * the page and stream protocol (a 200-page PDF sends thousands). This port copies the same way with less work:
 * - a batch of text items is handed over with a shallow copy of the batch: the worker code replaces the batch's
 *   `items` and `styles` after sending it (`enqueueChunk` in pdf.worker.mjs) and never changes an item it has
 *   sent, and the API side only reads them;
 * - other JSON-like messages are copied by copyPlainData, to what structuredClone would make of them;
 * - everything else (font data, transferred buffers) still goes through structuredClone.
 * test/documents/pdf-port.test.ts holds the text content through this port equal to pdf.js's own on the test
 * PDFs, so a pdf.js update that starts changing sent items fails there.
 */
export class InThreadPdfPort {
  readonly #listeners = new Set<Listener>();

  postMessage(data: unknown, transfer?: Transfer): void {
    let copy: unknown;
    if (isTextContentChunk(data)) copy = { ...data, chunk: { ...data.chunk } };
    else {
      copy = transfer && transfer.length > 0 ? NOT_PLAIN : copyPlainData(data);
      if (copy === NOT_PLAIN) copy = structuredClone(data, transfer ? { transfer } : undefined);
    }
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
