import { gcraStep } from './gcra.ts';
import type { RateLimitDecision, RateLimitPolicy, RateLimitStore } from './types.ts';

export interface MemoryRateLimitStoreOptions {
  /** Most keys tracked; the least recently allowed are forgotten first (they get a fresh bucket). Default 100 000. */
  maxKeys?: number;
}

/**
 * In-process GCRA: the embedded default and the insurance limiter when Redis is unreachable.
 * A TAT in the past means "bucket full", exactly like a missing key, so entries need no TTL or timer:
 * a plain Map, re-inserted on every allowed request, is its own LRU.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #tats = new Map<string, number>();
  readonly #maxKeys: number;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  consume(key: string, policy: RateLimitPolicy, cost: number): Promise<RateLimitDecision> {
    return Promise.resolve(this.consumeSync(key, policy, cost));
  }

  consumeSync(key: string, policy: RateLimitPolicy, cost: number): RateLimitDecision {
    const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const step = gcraStep(this.#tats.get(key), nowUs, policy, cost);
    if (step.nextTatUs !== null) {
      this.#tats.delete(key);
      this.#tats.set(key, step.nextTatUs);
      if (this.#tats.size > this.#maxKeys) this.#evictOldest();
    }
    return step.decision;
  }

  get size(): number {
    return this.#tats.size;
  }

  #evictOldest(): void {
    const oldest = this.#tats.keys().next();
    if (oldest.done !== true) this.#tats.delete(oldest.value);
  }
}
