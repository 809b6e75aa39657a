import { hash } from 'node:crypto';
import type { Counter, Registry } from 'prom-client';
import { sharedCounter } from '../metrics.ts';
import { ValidationError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { MemoryRateLimitStore } from './memory-store.ts';
import type { RateLimitDecision, RateLimitPolicy, RateLimitStore } from './types.ts';

/** What happens when the store (Redis) fails: count in-process instead, let everyone through, or reject. */
export type StoreFailureMode = 'insurance' | 'open' | 'closed';

export interface RateLimiterOptions extends RateLimitPolicy {
  /** Policy name used in headers and metrics. Default `default`. */
  name?: string;
  /** Default: in-process. */
  store?: RateLimitStore;
  onStoreError?: StoreFailureMode;
  /** Used in `insurance` mode; default a fresh in-process store (state is per node, not synced back). */
  insurance?: RateLimitStore;
  logger?: Logger;
  registry?: Registry;
}

export interface RateLimitResult extends RateLimitDecision {
  /** Which path decided: the configured store, the insurance store, or the failure mode. */
  source: 'store' | 'insurance' | 'fail-open' | 'fail-closed';
}

export interface RateLimiter {
  readonly name: string;
  readonly policy: RateLimitPolicy;
  /** Consumes `cost` units for `key` when allowed (the seed's `limiter.is_allowed(key)`). */
  isAllowed(key: string, cost?: number): Promise<RateLimitResult>;
  /** Same, but synchronous when the store is in-process (for hot paths that can use it). */
  check(key: string, cost?: number): RateLimitResult | Promise<RateLimitResult>;
}

const POLICY_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const name = options.name ?? 'default';
  validatePolicy(name, options);
  const policy: RateLimitPolicy = { limit: options.limit, windowMs: options.windowMs };
  const store = options.store ?? new MemoryRateLimitStore();
  const mode = options.onStoreError ?? 'insurance';
  const insurance = options.insurance ?? new MemoryRateLimitStore();
  const decisions = options.registry === undefined ? undefined : decisionCounter(options.registry);
  let lastFailureLog = 0;

  /**
   * Answers synchronously when the store is in-process (no promise, no microtask on the hot path),
   * otherwise with a promise. Throws ValidationError for a bad cost.
   */
  function check(key: string, cost = 1): RateLimitResult | Promise<RateLimitResult> {
    if (!Number.isInteger(cost) || cost < 1 || cost > policy.limit) {
      throw new ValidationError(`Rate-limit cost must be an integer from 1 to ${policy.limit}`);
    }
    // Keys come from clients (IPs, headers): bound their size so they cannot bloat Redis or memory.
    const safeKey = key.length <= 200 ? key : `h:${hash('sha256', key, 'base64url')}`;
    if (store instanceof MemoryRateLimitStore) return record(fromStore(store.consumeSync(safeKey, policy, cost)));
    const storeKey = `${name}:${safeKey}`;
    return store.consume(storeKey, policy, cost).then(
      (decision) => record(fromStore(decision)),
      async (error: unknown) => {
        // While Redis is down every request fails over: log the first failure, then once per 10 s.
        const now = Date.now();
        if (now - lastFailureLog >= 10_000) {
          lastFailureLog = now;
          options.logger?.warn({ err: error, policy: name }, `rate-limit store failed; deciding with mode "${mode}"`);
        }
        return record(await fallback(storeKey, cost));
      },
    );
  }

  function fromStore(decision: RateLimitDecision): RateLimitResult {
    return { allowed: decision.allowed, remaining: decision.remaining, resetMs: decision.resetMs, retryAfterMs: decision.retryAfterMs, source: 'store' };
  }

  function record(result: RateLimitResult): RateLimitResult {
    decisions?.inc({ policy: name, outcome: result.allowed ? 'allowed' : 'limited', source: result.source });
    return result;
  }

  function isAllowed(key: string, cost = 1): Promise<RateLimitResult> {
    try {
      const result = check(key, cost);
      return result instanceof Promise ? result : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  async function fallback(key: string, cost: number): Promise<RateLimitResult> {
    if (mode === 'insurance') return { ...(await insurance.consume(key, policy, cost)), source: 'insurance' };
    if (mode === 'open') return { allowed: true, remaining: policy.limit, resetMs: 0, retryAfterMs: 0, source: 'fail-open' };
    return { allowed: false, remaining: 0, resetMs: policy.windowMs, retryAfterMs: Math.min(policy.windowMs, 1000), source: 'fail-closed' };
  }

  return { name, policy, isAllowed, check };
}

function validatePolicy(name: string, policy: RateLimitPolicy): void {
  if (!POLICY_NAME.test(name)) throw new ValidationError(`Rate-limit policy name "${name}" must match ${POLICY_NAME.source}`);
  if (!Number.isInteger(policy.limit) || policy.limit < 1) throw new ValidationError(`Rate-limit policy "${name}": limit must be a positive integer`);
  if (!Number.isInteger(policy.windowMs) || policy.windowMs < 1 || policy.windowMs > 366 * 86_400_000) {
    throw new ValidationError(`Rate-limit policy "${name}": windowMs must be a positive integer up to a year`);
  }
}

function decisionCounter(registry: Registry): Counter<'policy' | 'outcome' | 'source'> {
  return sharedCounter(registry, 'ai_stack_rate_limit_decisions_total', 'Rate-limit decisions by policy, outcome and deciding store', [
    'policy',
    'outcome',
    'source',
  ]);
}
