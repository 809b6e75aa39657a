import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../../../shared/redis.ts';
import { LRUCache } from 'lru-cache';

/** A response kept for replay. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  /** base64 */
  body: string;
}

export type IdempotencyRecord = { state: 'pending'; fingerprint: string; token: string } | { state: 'done'; fingerprint: string; response: StoredResponse };

export type BeginResult = { claimed: true; token: string } | { claimed: false; record: IdempotencyRecord };

/** Keeps Idempotency-Key outcomes. `begin` must be atomic: exactly one concurrent caller claims a key. */
export interface IdempotencyStore {
  begin(key: string, fingerprint: string, lockTtlMs: number): Promise<BeginResult>;
  complete(key: string, token: string, fingerprint: string, response: StoredResponse, ttlMs: number): Promise<void>;
  /** Frees a claim whose request failed (5xx, aborted) so the client may retry with the same key. */
  release(key: string, token: string): Promise<void>;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #records = new LRUCache<string, IdempotencyRecord>({ max: 100_000 });

  async begin(key: string, fingerprint: string, lockTtlMs: number): Promise<BeginResult> {
    const existing = this.#records.get(key);
    if (existing !== undefined) return { claimed: false, record: existing };
    const token = randomUUID();
    this.#records.set(key, { state: 'pending', fingerprint, token }, { ttl: lockTtlMs });
    return { claimed: true, token };
  }

  async complete(key: string, token: string, fingerprint: string, response: StoredResponse, ttlMs: number): Promise<void> {
    const existing = this.#records.get(key);
    if (existing?.state === 'pending' && existing.token !== token) return; // our claim expired and someone else owns it
    this.#records.set(key, { state: 'done', fingerprint, response }, { ttl: ttlMs });
  }

  async release(key: string, token: string): Promise<void> {
    const existing = this.#records.get(key);
    if (existing?.state === 'pending' && existing.token === token) this.#records.delete(key);
  }
}

// Compare-and-set/delete on the claim token: a request whose claim expired must not overwrite the new owner.
const COMPLETE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current and string.find(current, ARGV[1], 1, true) == nil and string.sub(current, 1, 18) == '{"state":"pending"' then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;
const RELEASE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current and string.find(current, ARGV[1], 1, true) then return redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisIdempotencyStore implements IdempotencyStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;

  constructor(options: { redis: RedisClient; keyPrefix?: string }) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix ?? 'ai-stack:idem:';
  }

  async begin(key: string, fingerprint: string, lockTtlMs: number): Promise<BeginResult> {
    const token = randomUUID();
    const pending: IdempotencyRecord = { state: 'pending', fingerprint, token };
    // Two attempts: the record can expire between a failed SET NX and the GET.
    for (let attempt = 0; attempt < 2; attempt++) {
      const set = await this.#redis.set(this.#prefix + key, JSON.stringify(pending), 'PX', lockTtlMs, 'NX');
      if (set === 'OK') return { claimed: true, token };
      const current = await this.#redis.get(this.#prefix + key);
      if (current !== null) return { claimed: false, record: JSON.parse(current) as IdempotencyRecord };
    }
    return { claimed: false, record: pending };
  }

  async complete(key: string, token: string, fingerprint: string, response: StoredResponse, ttlMs: number): Promise<void> {
    const record: IdempotencyRecord = { state: 'done', fingerprint, response };
    await this.#redis.eval(COMPLETE_SCRIPT, 1, this.#prefix + key, token, JSON.stringify(record), ttlMs);
  }

  async release(key: string, token: string): Promise<void> {
    await this.#redis.eval(RELEASE_SCRIPT, 1, this.#prefix + key, token);
  }
}
