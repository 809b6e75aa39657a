import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AiStackError } from '../../shared/errors.ts';
import { UnreadableDocumentError, UnsupportedDocumentError } from './errors.ts';
import { DEFAULT_EXTRACT_LIMITS, type DocumentType, type ExtractedDocument, type ExtractLimits } from './types.ts';

export interface IsolationOptions {
  /** Wall-clock limit of one extraction; the thread is terminated when it passes. */
  timeoutMs: number;
  /** Old-generation heap of the thread; a file needing more fails its document, not the process. */
  memoryMb: number;
  limits?: ExtractLimits;
}

type Reply = { ok: true; result: ExtractedDocument } | { ok: false; name: string; message: string; code?: string; status?: number };

/** Few extractions at a time: each may use `memoryMb`, and the machine's cores are shared with everything else. */
const slots = { free: Math.max(1, Math.min(4, availableParallelism())), waiting: [] as (() => void)[] };

async function acquire(): Promise<() => void> {
  if (slots.free > 0) slots.free--;
  else await new Promise<void>((resolve) => slots.waiting.push(resolve));
  return () => {
    const next = slots.waiting.shift();
    if (next) next();
    else slots.free++;
  };
}

function rebuild(reply: Extract<Reply, { ok: false }>): AiStackError {
  if (reply.code === 'unsupported_document') return new UnsupportedDocumentError(reply.message);
  if (reply.code === 'unreadable_document') return new UnreadableDocumentError(reply.message);
  return new UnreadableDocumentError(`extraction failed: ${reply.name}: ${reply.message}`);
}

/**
 * Extracts in a worker thread with `resourceLimits` and a hard time limit, so a hostile or broken file
 * fails with a clear error while the worker process and the service carry on.
 */
export async function runExtraction(bytes: Buffer, options: IsolationOptions & { type?: DocumentType; filename?: string }): Promise<ExtractedDocument> {
  const release = await acquire();
  try {
    return await new Promise<ExtractedDocument>((resolve, reject) => {
      const worker = new Worker(new URL('./worker.ts', import.meta.url), {
        workerData: { bytes, type: options.type, filename: options.filename, limits: options.limits ?? DEFAULT_EXTRACT_LIMITS },
        // A buffer that owns its whole ArrayBuffer is moved to the thread, not copied (large files).
        transferList: bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer as ArrayBuffer] : [],
        resourceLimits: { maxOldGenerationSizeMb: options.memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, options.memoryMb / 8)), stackSizeMb: 4 },
        stdout: false,
        stderr: false,
      });
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
        void worker.terminate();
      };
      const timer = setTimeout(() => settle(() => reject(new UnreadableDocumentError(`extraction took longer than ${options.timeoutMs} ms and was stopped`))), options.timeoutMs);
      worker.once('message', (reply: Reply) => settle(() => (reply.ok ? resolve(reply.result) : reject(rebuild(reply)))));
      worker.once('error', (error: Error & { code?: string }) => {
        const message = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `extraction needed more than the ${options.memoryMb} MB memory limit and was stopped` : `extraction crashed: ${error.message}`;
        settle(() => reject(new UnreadableDocumentError(message, error)));
      });
      worker.once('exit', (code) => settle(() => reject(new UnreadableDocumentError(`extraction stopped unexpectedly (exit code ${code})`))));
    });
  } finally {
    release();
  }
}
