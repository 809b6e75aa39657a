import { gcraStep } from './gcra.ts';
import type { RateLimitDecision, RateLimitPolicy, RateLimitStore } from './types.ts';

export interface MemoryRateLimitStoreOptions {
  /** Most keys tracked per policy; the least recently allowed are forgotten first (they get a fresh bucket). Default 100 000. */
  maxKeys?: number;
}

/**
 * In-process GCRA: the embedded default and the insurance limiter when Redis is unreachable.
 * A TAT in the past means "bucket full", exactly like a missing key, so entries need no TTL or timer:
 * a plain Map, re-inserted on every allowed request, is its own LRU. State is kept per policy object
 * (each limiter has its own), so keys need no policy-name prefix — no string building per check.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #byPolicy = new WeakMap<RateLimitPolicy, Map<string, number>>();
  #size = 0;
  readonly #maxKeys: number;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.#maxKeys = options.maxKeys ?? 100_000;
  }

  consume(key: string, policy: RateLimitPolicy, cost: number): Promise<RateLimitDecision> {
    return Promise.resolve(this.consumeSync(key, policy, cost));
  }

  consumeSync(key: string, policy: RateLimitPolicy, cost: number): RateLimitDecision {
    const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    let tats = this.#byPolicy.get(policy);
    if (tats === undefined) this.#byPolicy.set(policy, (tats = new Map<string, number>()));
    const step = gcraStep(tats.get(key), nowUs, policy, cost);
    if (step.nextTatUs !== null) {
      const before = tats.size;
      tats.delete(key);
      tats.set(key, step.nextTatUs);
      this.#size += tats.size - before;
      if (tats.size > this.#maxKeys) {
        const oldest = tats.keys().next();
        if (oldest.done !== true) tats.delete(oldest.value);
        this.#size--;
      }
    }
    return step.decision;
  }

  /** Keys tracked across all policies. */
  get size(): number {
    return this.#size;
  }
}
