import { CacheUnavailableError } from './errors.ts';

interface Pending {
  deadline: number;
  reject: (error: Error) => void;
}

/**
 * Per-command timeout without a timer per command (ioredis' `commandTimeout` arms one setTimeout per
 * call, ~2 µs each on our box — most of the gap between a cached L2 read and a raw GET). One coarse
 * sweep runs only while commands are in flight and rejects those past their deadline; a late reply
 * is ignored. Granularity is a quarter of the timeout.
 */
export class DeadlineGuard {
  readonly timeoutMs: number;
  readonly #pending = new Set<Pending>();
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.timeoutMs = Math.max(1, timeoutMs);
  }

  wrap<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { deadline: Date.now() + this.timeoutMs, reject };
      this.#pending.add(entry);
      if (this.#timer === undefined) this.#start();
      promise.then(
        (value) => {
          this.#pending.delete(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.#pending.delete(entry);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  #start(): void {
    this.#timer = setInterval(() => this.#sweep(), Math.max(5, Math.floor(this.timeoutMs / 4)));
    this.#timer.unref();
  }

  #sweep(): void {
    const now = Date.now();
    for (const entry of this.#pending) {
      if (entry.deadline <= now) {
        this.#pending.delete(entry);
        entry.reject(new CacheUnavailableError(`Redis command timed out after ${this.timeoutMs} ms`));
      }
    }
    if (this.#pending.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

/** What the watchdog needs of a connection: ioredis' queue of commands written and awaiting their reply. */
export interface InFlightQueue {
  readonly commandQueue: { readonly length: number; peekAt(index: number): { command: Settleable } | undefined };
}

/** A command in flight: ioredis' `Command` (its own `commandTimeout` rejects it the same way; `isSettled` is set once it is). */
export interface Settleable {
  readonly isSettled?: boolean;
  reject(error: Error): void;
}

interface Mark {
  at: number;
  /** The newest command in flight at `at`; every command before it in the queue was written earlier. */
  newest: Settleable | undefined;
}

/**
 * The per-command timeout of the hot read path at no per-command cost: no promise, no entry, no timer per
 * call. Redis answers in order, so a command is late exactly when it is still in the connection's in-flight
 * queue a timeout after it was written. Every sweep notes the newest command in flight; once a note is a
 * timeout old, every unsettled command up to the noted one is failed, as ioredis' own `commandTimeout` does
 * (a late reply then finds it settled and is ignored). Failed between 1 and 1.5 timeouts after writing.
 * Covers only commands written to the socket: callers send through it only while the connection is ready.
 */
export class InFlightWatchdog {
  readonly timeoutMs: number;
  readonly #connection: InFlightQueue;
  readonly #marks: Mark[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(connection: InFlightQueue, timeoutMs: number) {
    this.timeoutMs = Math.max(1, timeoutMs);
    this.#connection = connection;
    this.#timer = setInterval(() => this.#sweep(), Math.max(5, Math.floor(this.timeoutMs / 4)));
    this.#timer.unref();
  }

  #sweep(): void {
    const now = performance.now();
    const queue = this.#connection.commandQueue;
    this.#marks.push({ at: now, newest: queue.length === 0 ? undefined : queue.peekAt(queue.length - 1)?.command });
    const marks = this.#marks;
    while (marks.length > 1 && (marks[1] as Mark).at <= now - this.timeoutMs) marks.shift();
    const due = marks[0] as Mark;
    if (due.at > now - this.timeoutMs) return;
    marks.shift();
    const last = due.newest;
    if (last === undefined) return;
    // Still in the queue means not answered yet; gone means answered, and so was every command before it.
    let index = -1;
    for (let i = 0; i < queue.length; i++) {
      if (queue.peekAt(i)?.command === last) {
        index = i;
        break;
      }
    }
    if (index < 0) return;
    const error = new CacheUnavailableError(`Redis command timed out after ${this.timeoutMs} ms`);
    for (let i = 0; i <= index; i++) {
      const command = queue.peekAt(i)?.command;
      if (command !== undefined && command.isSettled !== true) command.reject(error);
    }
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
