/** Raised by Mutex.lock when the timeout passes first. */
export class LockTimeoutError extends Error {
  readonly waitedMs: number;

  constructor(waitedMs: number) {
    super(`lock not acquired within ${waitedMs} ms`);
    this.waitedMs = waitedMs;
  }
}

/** FIFO async lock: the single SQLite writer is handed to one transaction (or statement) at a time. */
export class Mutex {
  #locked = false;
  readonly #waiters: Array<() => void> = [];

  get locked(): boolean {
    return this.#locked;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves once the lock is ours; with `timeoutMs`, rejects with LockTimeoutError instead of waiting forever. */
  async lock(timeoutMs?: number): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = (): void => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.#waiters.push(waiter);
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(new LockTimeoutError(timeoutMs));
        }, timeoutMs);
      }
    });
  }

  /** Ownership passes straight to the next waiter, so no newcomer can jump the queue. */
  unlock(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }
}
