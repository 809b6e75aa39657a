import { Worker as Thread } from 'node:worker_threads';
import { TimeLimitExceededError } from './errors.ts';
import type { ProgressInput } from './progress.ts';
import type { RemoteError } from './results.ts';
import { siblingModule } from '../shared/sibling-module.ts';

/** What the thread receives as workerData: enough to load the task module and run one attempt. */
export interface ThreadInput {
  module: string;
  task: string;
  args: unknown;
  id: string;
  attempt: number;
  startedAt: number;
}

export interface ThreadRun extends ThreadInput {
  softMs: number | undefined;
  hardMs: number;
  /** Aborting it (revoke/terminate, shutdown) kills the thread at once. */
  signal: AbortSignal;
  /** The handler's ctx.progress() calls, relayed from the thread. */
  onProgress?: (p: ThreadProgress) => void;
}

export interface ThreadProgress {
  value: ProgressInput;
  message?: string;
}

export type ThreadReply =
  { ready: true } | { progress: ThreadProgress } | { ok: true; result: unknown } | { ok: false; error: RemoteError & { nonRetryable?: boolean } };

/** Error rebuilt from a thread's reply; keeps the remote name so autoretryFor can match by name. */
export class RemoteTaskError extends Error {
  readonly nonRetryable: boolean;
  constructor(e: RemoteError & { nonRetryable?: boolean }) {
    super(e.message);
    this.name = e.name;
    this.stack = e.stack ?? this.stack;
    this.nonRetryable = e.nonRetryable === true;
  }
}

const THREAD_ENTRY = siblingModule(import.meta.url, 'sandbox-thread');

/**
 * Runs one handler in its own worker thread. A CPU-bound loop cannot be interrupted from the
 * outside in-process; `terminate()` on its thread can, which is how the hard time limit is real.
 */
export function runInThread(run: ThreadRun): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const thread = new Thread(THREAD_ENTRY, {
      workerData: { module: run.module, task: run.task, args: run.args, id: run.id, attempt: run.attempt, startedAt: run.startedAt } satisfies ThreadInput,
      stdout: false,
      stderr: false,
    });
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      run.signal.removeEventListener('abort', onAbort);
      fn();
    };
    const kill = (err: unknown): void =>
      finish(() => {
        void thread.terminate();
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    const onAbort = (): void => kill(run.signal.reason);
    if (run.signal.aborted) return onAbort();
    run.signal.addEventListener('abort', onAbort, { once: true });
    const startLimits = (): void => {
      if (run.softMs !== undefined) {
        const soft = run.softMs;
        timers.push(setTimeout(() => thread.postMessage({ type: 'soft', limitMs: soft }), soft));
      }
      timers.push(setTimeout(() => kill(new TimeLimitExceededError('hard', run.hardMs)), run.hardMs));
    };
    // A thread that cannot even load its module within a minute is stuck too.
    timers.push(setTimeout(() => kill(new TimeLimitExceededError('hard', 60_000)), 60_000));
    thread.on('message', (reply: ThreadReply) => {
      if ('ready' in reply) return startLimits();
      if ('progress' in reply) return run.onProgress?.(reply.progress);
      finish(() => {
        void thread.terminate();
        if (reply.ok) resolve(reply.result);
        else reject(new RemoteTaskError(reply.error));
      });
    });
    thread.on('error', (err: Error) => finish(() => reject(err)));
    thread.on('exit', (code) => finish(() => reject(new Error(`task thread exited with code ${code} before replying`))));
  });
}
