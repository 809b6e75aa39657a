import { LRUCache } from 'lru-cache';
import { gcraStep } from './gcra.ts';
import type { RateLimitDecision, RateLimitPolicy, RateLimitStore } from './types.ts';

export interface MemoryRateLimitStoreOptions {
  /** Most keys tracked; the least recently seen are forgotten first (they get a fresh bucket). Default 100 000. */
  maxKeys?: number;
}

/** In-process GCRA: the embedded default and the insurance limiter when Redis is unreachable. */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #tats: LRUCache<string, number>;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.#tats = new LRUCache<string, number>({ max: options.maxKeys ?? 100_000, ttlAutopurge: false });
  }

  async consume(key: string, policy: RateLimitPolicy, cost: number): Promise<RateLimitDecision> {
    return this.consumeSync(key, policy, cost);
  }

  consumeSync(key: string, policy: RateLimitPolicy, cost: number): RateLimitDecision {
    const nowUs = Math.floor(performance.timeOrigin * 1000 + performance.now() * 1000);
    const step = gcraStep(this.#tats.get(key), nowUs, policy, cost);
    if (step.nextTatUs !== null) this.#tats.set(key, step.nextTatUs, { ttl: Math.ceil((step.nextTatUs - nowUs) / 1000) + 1 });
    return step.decision;
  }
}
