import { createHash } from 'node:crypto';
import type { RedisClient } from '../../../shared/redis.ts';
import { UnavailableError } from '../../../shared/errors.ts';
import { decisionFromUs, emissionIntervalUs } from './gcra.ts';
import type { RateLimitDecision, RateLimitPolicy, RateLimitStore } from './types.ts';

// GCRA in one round trip. Redis' own clock (TIME) is the only clock, so nodes with skewed clocks agree.
// Same arithmetic as gcra.ts, in integer microseconds.
const GCRA_SCRIPT = `
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local nextTat = tat + interval * cost
if nextTat - now > window then
  return {0, math.floor((window - (tat - now)) / interval), tat - now, nextTat - now - window}
end
redis.call('SET', KEYS[1], string.format('%d', nextTat), 'PX', math.ceil((nextTat - now) / 1000))
return {1, math.floor((window - (nextTat - now)) / interval), nextTat - now, 0}
`;
const GCRA_SHA = createHash('sha1').update(GCRA_SCRIPT).digest('hex');

export interface RedisRateLimitStoreOptions {
  redis: RedisClient;
  /** Prefix for every key, e.g. `ai-stack:rl:`. */
  keyPrefix?: string;
  /**
   * A check slower than this counts as a store failure (the limiter then falls back). Default: none —
   * prefer the client's own `commandTimeout` + `enableOfflineQueue: false`, which cost nothing per call.
   */
  timeoutMs?: number;
}

/** Redis-backed GCRA shared by every node. EVALSHA; the script is (re)loaded only on NOSCRIPT. */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #timeoutMs: number | undefined;

  constructor(options: RedisRateLimitStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix ?? 'ai-stack:rl:';
    this.#timeoutMs = options.timeoutMs;
  }

  consume(key: string, policy: RateLimitPolicy, cost: number): Promise<RateLimitDecision> {
    const interval = emissionIntervalUs(policy);
    const window = policy.windowMs * 1000;
    const redisKey = this.#prefix + key;
    // One promise hop on the hot path (this runs once per request).
    const evaluated = this.#redis.evalsha(GCRA_SHA, 1, redisKey, interval, window, cost).then(toDecision, (error: unknown) => {
      // Only NOSCRIPT proves the script did not run; retrying after any other error could count a request twice.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.#redis.eval(GCRA_SCRIPT, 1, redisKey, interval, window, cost).then(toDecision);
    });
    return this.#timeoutMs === undefined ? evaluated : this.#withTimeout(evaluated, this.#timeoutMs);
  }

  #withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new UnavailableError(`Rate-limit store did not answer within ${ms} ms`)), ms);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}

function toDecision(reply: unknown): RateLimitDecision {
  if (!Array.isArray(reply) || reply.length !== 4) throw new UnavailableError('Unexpected reply from the rate-limit script');
  return decisionFromUs(reply[0] === 1, Number(reply[1]), Number(reply[2]), Number(reply[3]));
}
