import type { Logger } from '../../../shared/logger.ts';
import type { ResponseCacheStore } from './store.ts';

export interface PurgeRetryOptions {
  logger?: Logger;
  /** First retry after this long, doubling up to `maxDelayMs`. Defaults 250 ms and 5 s. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Wraps a store that can fail (Redis) so that a failed tag purge is not lost: the tag is marked stale and the
 * purge retried in the background until it succeeds. While a tag is stale this node neither serves nor stores
 * entries carrying it, so a cached response never outlives a committed write because Redis was down or slow
 * when the write committed. The failure is still thrown to the caller, which logs it and answers the commit.
 */
export class PurgeRetryingStore implements ResponseCacheStore {
  readonly #inner: ResponseCacheStore;
  readonly #options: PurgeRetryOptions;
  readonly #stale = new Set<string>();
  #delayMs: number;
  #timer: NodeJS.Timeout | undefined;
  #attempts = 0;
  #closed = false;

  constructor(inner: ResponseCacheStore, options: PurgeRetryOptions = {}) {
    this.#inner = inner;
    this.#options = options;
    this.#delayMs = options.minDelayMs ?? 250;
  }

  get(key: string): Promise<Buffer | undefined> {
    return this.#inner.get(key);
  }

  async set(key: string, value: Buffer, options: { ttlMs: number; tags: readonly string[] }): Promise<void> {
    if (this.isStale(options.tags)) return;
    await this.#inner.set(key, value, options);
  }

  async deleteByTag(tag: string): Promise<void> {
    try {
      await this.#inner.deleteByTag(tag);
    } catch (error) {
      this.#stale.add(tag);
      this.#schedule();
      throw error;
    }
  }

  isStale(tags: readonly string[]): boolean {
    return this.#stale.size > 0 && tags.some((tag) => this.#stale.has(tag));
  }

  /** Tags whose purge is still owed. */
  get staleTags(): ReadonlySet<string> {
    return this.#stale;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => void this.#retry(), this.#delayMs);
    this.#timer.unref();
  }

  async #retry(): Promise<void> {
    this.#timer = undefined;
    this.#attempts++;
    for (const tag of [...this.#stale]) {
      try {
        await this.#inner.deleteByTag(tag);
        this.#stale.delete(tag);
      } catch {
        break; // the store is still failing; the next round retries every tag left
      }
    }
    if (this.#stale.size === 0) {
      this.#options.logger?.info({ attempts: this.#attempts }, 'response-cache purges caught up');
      this.#attempts = 0;
      this.#delayMs = this.#options.minDelayMs ?? 250;
      return;
    }
    this.#delayMs = Math.min(this.#delayMs * 2, this.#options.maxDelayMs ?? 5_000);
    this.#schedule();
  }
}
