import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AiStackError } from '../../shared/errors.ts';
import { siblingModule } from '../../shared/sibling-module.ts';
import { UnreadableDocumentError, UnsupportedDocumentError } from './errors.ts';
import { DEFAULT_EXTRACT_LIMITS, type DocumentType, type ExtractedDocument, type ExtractLimits } from './types.ts';

export interface IsolationOptions {
  /** Wall-clock limit of one extraction; the thread is terminated when it passes. */
  timeoutMs: number;
  /** Old-generation heap of the thread; a file needing more fails its document, not the process. */
  memoryMb: number;
  limits?: ExtractLimits;
}

type Reply = { id: number; ok: true; result: ExtractedDocument } | { id: number; ok: false; name: string; message: string; code?: string };

function rebuild(reply: Extract<Reply, { ok: false }>): AiStackError {
  if (reply.code === 'unsupported_document') return new UnsupportedDocumentError(reply.message);
  if (reply.code === 'unreadable_document') return new UnreadableDocumentError(reply.message);
  return new UnreadableDocumentError(`extraction failed: ${reply.name}: ${reply.message}`);
}

interface Thread {
  worker: Worker;
  memoryMb: number;
  /** Settles the job in flight when the thread dies under it (out of memory, crash). */
  onDeath?: (error: Error & { code?: string }) => void;
}

/**
 * Idle extraction threads, reused across documents so the PDF/Office libraries load once per thread,
 * not once per file. A thread that times out or dies is terminated and not reused.
 */
class ExtractionThreads {
  readonly #idle: Thread[] = [];
  #free = Math.max(1, Math.min(4, availableParallelism()));
  readonly #waiting: (() => void)[] = [];
  #nextId = 1;

  async #acquire(memoryMb: number): Promise<Thread> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    const reusable = this.#idle.findIndex((t) => t.memoryMb === memoryMb);
    if (reusable >= 0) return this.#idle.splice(reusable, 1)[0] as Thread;
    const worker = new Worker(siblingModule(import.meta.url, 'worker'), {
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, memoryMb / 8)), stackSizeMb: 4 },
      stdout: false,
      stderr: false,
    });
    // An idle thread must not keep the process alive.
    worker.unref();
    const thread: Thread = { worker, memoryMb };
    worker.on('error', (error: Error & { code?: string }) => thread.onDeath?.(error));
    worker.on('exit', (code) => thread.onDeath?.(Object.assign(new Error(`exit code ${code}`), { code: 'EXIT' })));
    return thread;
  }

  #release(thread: Thread | undefined): void {
    if (thread) this.#idle.push(thread);
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }

  async run(bytes: Buffer, options: IsolationOptions & { type?: DocumentType; filename?: string }): Promise<ExtractedDocument> {
    const thread = await this.#acquire(options.memoryMb);
    const id = this.#nextId++;
    let reusable = false;
    try {
      return await new Promise<ExtractedDocument>((resolve, reject) => {
        const timer = setTimeout(() => {
          thread.onDeath = undefined;
          void thread.worker.terminate();
          reject(new UnreadableDocumentError(`extraction took longer than ${options.timeoutMs} ms and was stopped`));
        }, options.timeoutMs);
        thread.onDeath = (error) => {
          clearTimeout(timer);
          thread.onDeath = undefined;
          const message =
            error.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? `extraction needed more than the ${options.memoryMb} MB memory limit and was stopped`
              : `extraction stopped unexpectedly (${error.message})`;
          reject(new UnreadableDocumentError(message, error));
        };
        thread.worker.once('message', (reply: Reply) => {
          clearTimeout(timer);
          thread.onDeath = undefined;
          if (reply.id !== id) return reject(new UnreadableDocumentError('extraction thread answered another job'));
          reusable = true;
          if (reply.ok) resolve(reply.result);
          else reject(rebuild(reply));
        });
        thread.worker.ref();
        // A buffer that owns its whole ArrayBuffer is moved to the thread, not copied (large files).
        const transfer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer as ArrayBuffer] : [];
        thread.worker.postMessage({ id, bytes, type: options.type, filename: options.filename, limits: options.limits ?? DEFAULT_EXTRACT_LIMITS }, transfer);
      });
    } finally {
      thread.worker.unref();
      if (!reusable) void thread.worker.terminate();
      this.#release(reusable ? thread : undefined);
    }
  }
}

const threads = new ExtractionThreads();

/**
 * Extracts in a worker thread with `resourceLimits` and a hard time limit, so a hostile or broken file
 * fails with a clear error while the worker process and the service carry on.
 */
export function runExtraction(bytes: Buffer, options: IsolationOptions & { type?: DocumentType; filename?: string }): Promise<ExtractedDocument> {
  return threads.run(bytes, options);
}
