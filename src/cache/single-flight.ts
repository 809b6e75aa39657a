/**
 * The loads running in this process, per full key, shared by a cache and all its namespace views:
 * - `join`/`track`: single-flight, one load per key however many callers miss at once;
 * - `shared`: a load that outlives its callers (stale-while-revalidate, soft and hard timeouts), which
 *   later misses join instead of starting a refresh storm.
 */
export class SingleFlight {
  readonly #waiting = new Map<string, Promise<unknown>>();
  readonly #running = new Map<string, Promise<unknown>>();

  /** The miss already being resolved for this key, if any. */
  join<T>(full: string): Promise<T> | undefined {
    return this.#waiting.get(full) as Promise<T> | undefined;
  }

  /** Registers a miss being resolved until it settles. */
  track<T>(full: string, load: Promise<T>): Promise<T> {
    const tracked = load.finally(() => this.#waiting.delete(full));
    this.#waiting.set(full, tracked);
    return tracked;
  }

  /** The running load for this key, or a new one from `start`. */
  shared<T>(full: string, start: () => Promise<T>): Promise<T> {
    const running = this.#running.get(full);
    if (running !== undefined) return running as Promise<T>;
    const work = start();
    this.#running.set(full, work);
    const done = (): void => {
      if (this.#running.get(full) === work) this.#running.delete(full);
    };
    work.then(done, done);
    return work;
  }
}
