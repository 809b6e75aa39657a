import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { AiStackError } from '../../shared/errors.ts';
import { siblingModule } from '../../shared/sibling-module.ts';
import { UnreadableDocumentError, UnsupportedDocumentError } from './errors.ts';
import { DEFAULT_EXTRACT_LIMITS, type DocumentType, type ExtractedDocument, type ExtractLimits } from './types.ts';

export interface IsolationOptions {
  /** Wall-clock limit of one extraction; the extraction process is killed when it passes. */
  timeoutMs: number;
  /** Old-generation heap of the extraction process; a file needing more fails its document, not the service. */
  memoryMb: number;
  limits?: ExtractLimits;
}

type Reply = { id: number; ok: true; result: ExtractedDocument } | { id: number; ok: false; name: string; message: string; code?: string };

function rebuild(reply: Extract<Reply, { ok: false }>): AiStackError {
  if (reply.code === 'unsupported_document') return new UnsupportedDocumentError(reply.message);
  if (reply.code === 'unreadable_document') return new UnreadableDocumentError(reply.message);
  return new UnreadableDocumentError(`extraction failed: ${reply.name}: ${reply.message}`);
}

/** The extraction process ended without a limit being the cause: the job may be tried again in a new one. */
class ExtractorDiedError extends UnreadableDocumentError {}

/** What V8 prints when a heap limit is reached, before it aborts the process. */
const OUT_OF_MEMORY = /heap out of memory|Reached heap limit|allocation failed/i;

interface Extractor {
  child: ChildProcess;
  memoryMb: number;
  /** The end of what the process wrote to stderr: V8's out-of-memory report, if it came to that. */
  stderrTail: string;
  /** Settles the job in flight when the process dies under it (out of memory, crash). */
  onDeath?: (exit: { code: number | null; signal: NodeJS.Signals | null; error?: Error }) => void;
}

/**
 * V8 settings of an extraction process. A process, not a worker thread: a thread shares the service's V8 flags
 * (`--max-semi-space-size=16` and the heap growth bound of src/cli/heap.ts, which keep the service small), and
 * under them the PDF and Office libraries took about a quarter longer (bench:documents, per-process contenders).
 * The heap limit is `--max-old-space-size`; V8 also derives its heap growing factor from that limit (about 1.4
 * at 512 MB, 4 from 2 GB up), which made a 512 MB process collect three times as often and extract 15-25 %
 * slower than the same code under Node's default limit: `--heap-growing-percent=300` restores V8's factor for
 * large heaps while the limit still stops a file that needs more. A process also keeps a crash in a native or
 * WebAssembly decoder away from the service.
 */
function extractorFlags(memoryMb: number): string[] {
  const semiSpaceMb = Math.min(32, Math.max(1, Math.floor(memoryMb / 16)));
  return [`--max-old-space-size=${memoryMb}`, `--max-semi-space-size=${semiSpaceMb}`, '--heap-growing-percent=300'];
}

/**
 * Idle extraction processes, reused across documents so the PDF/Office libraries load once per process,
 * not once per file. A process that times out or dies is killed and not reused.
 */
class ExtractionProcesses {
  readonly #idle: Extractor[] = [];
  #free = Math.max(1, Math.min(4, availableParallelism()));
  readonly #waiting: (() => void)[] = [];
  #nextId = 1;

  async #acquire(memoryMb: number): Promise<Extractor> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    // A process that died while idle (killed from outside) is dropped here.
    for (let i = this.#idle.length - 1; i >= 0; i--) if (!this.#idle[i]?.child.connected) this.#idle.splice(i, 1);
    const reusable = this.#idle.findIndex((e) => e.memoryMb === memoryMb);
    if (reusable >= 0) return this.#idle.splice(reusable, 1)[0] as Extractor;
    const child = fork(fileURLToPath(siblingModule(import.meta.url, 'worker')), [], {
      execArgv: extractorFlags(memoryMb),
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const extractor: Extractor = { child, memoryMb, stderrTail: '' };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      extractor.stderrTail = (extractor.stderrTail + text).slice(-4096);
    });
    child.on('error', (error) => extractor.onDeath?.({ code: null, signal: null, error }));
    // 'close', not 'exit': it comes once stderr is read to the end, so V8's out-of-memory report is in stderrTail.
    child.on('close', (code, signal) => extractor.onDeath?.({ code, signal }));
    return extractor;
  }

  #release(extractor: Extractor | undefined): void {
    if (extractor) this.#idle.push(extractor);
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }

  /** An idle extraction process must not keep the service's process alive. */
  #hold(extractor: Extractor, busy: boolean): void {
    const handles = [extractor.child, extractor.child.channel, extractor.child.stderr];
    for (const handle of handles) {
      if (busy) (handle as { ref?: () => void } | null | undefined)?.ref?.();
      else (handle as { unref?: () => void } | null | undefined)?.unref?.();
    }
  }

  /**
   * One extraction. A process that dies without the memory limit or the time limit being the cause (killed from
   * outside, or already dead when the job was sent) gets the job again once, in a fresh process: a file that
   * crashes its decoder fails on the second death, a document is not failed for someone else's `kill`.
   */
  async run(bytes: Buffer, options: IsolationOptions & { type?: DocumentType; filename?: string }): Promise<ExtractedDocument> {
    try {
      return await this.#runOnce(bytes, options);
    } catch (error) {
      if (!(error instanceof ExtractorDiedError)) throw error;
      return this.#runOnce(bytes, options);
    }
  }

  async #runOnce(bytes: Buffer, options: IsolationOptions & { type?: DocumentType; filename?: string }): Promise<ExtractedDocument> {
    const extractor = await this.#acquire(options.memoryMb);
    const id = this.#nextId++;
    let reusable = false;
    try {
      return await new Promise<ExtractedDocument>((resolve, reject) => {
        const { child } = extractor;
        const timer = setTimeout(() => {
          extractor.onDeath = undefined;
          child.kill('SIGKILL');
          reject(new UnreadableDocumentError(`extraction took longer than ${options.timeoutMs} ms and was stopped`));
        }, options.timeoutMs);
        extractor.onDeath = ({ code, signal, error }) => {
          clearTimeout(timer);
          extractor.onDeath = undefined;
          child.removeListener('message', onMessage);
          if (OUT_OF_MEMORY.test(extractor.stderrTail))
            reject(new UnreadableDocumentError(`extraction needed more than the ${options.memoryMb} MB memory limit and was stopped`, error));
          else
            reject(
              new ExtractorDiedError(`extraction stopped unexpectedly (${error ? error.message : signal ? `signal ${signal}` : `exit code ${code}`})`, error),
            );
        };
        const onMessage = (reply: Reply) => {
          clearTimeout(timer);
          extractor.onDeath = undefined;
          if (reply.id !== id) return reject(new UnreadableDocumentError('extraction process answered another job'));
          reusable = true;
          if (reply.ok) resolve(reply.result);
          else reject(rebuild(reply));
        };
        child.once('message', onMessage);
        // Only this job's output may decide whether its death was the memory limit.
        extractor.stderrTail = '';
        this.#hold(extractor, true);
        child.send({ id, bytes, type: options.type, filename: options.filename, limits: options.limits ?? DEFAULT_EXTRACT_LIMITS }, (error) => {
          if (error) extractor.onDeath?.({ code: null, signal: null, error });
        });
      });
    } finally {
      if (reusable) this.#hold(extractor, false);
      else extractor.child.kill('SIGKILL');
      this.#release(reusable ? extractor : undefined);
    }
  }
}

const processes = new ExtractionProcesses();

/**
 * Extracts in a separate process with a heap limit and a hard time limit, so a hostile or broken file fails
 * with a clear error while the worker process and the service carry on.
 */
export function runExtraction(bytes: Buffer, options: IsolationOptions & { type?: DocumentType; filename?: string }): Promise<ExtractedDocument> {
  return processes.run(bytes, options);
}
