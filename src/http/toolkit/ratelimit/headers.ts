import type { RateLimitDecision, RateLimitPolicy } from './types.ts';

/**
 * draft-ietf-httpapi-ratelimit-headers (-08 onwards): both fields are Structured-Field Lists of named
 * policies. `w` must be whole seconds > 0; `t` is whole seconds ≥ 0 and, when the request was refused,
 * equals Retry-After (the draft says Retry-After must not point earlier than `t`).
 */
export function rateLimitPolicyHeader(name: string, policy: RateLimitPolicy): string {
  return `"${name}";q=${policy.limit};w=${Math.max(1, Math.ceil(policy.windowMs / 1000))}`;
}

export function rateLimitHeader(name: string, decision: RateLimitDecision): string {
  const waitMs = decision.allowed ? decision.resetMs : decision.retryAfterMs;
  return `"${name}";r=${decision.remaining};t=${Math.max(0, Math.ceil(waitMs / 1000))}`;
}

export function retryAfterSeconds(decision: RateLimitDecision): number {
  return Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
}

const RATE_LIMIT_ITEM = /^"([^"]+)";r=(\d+);t=(\d+)$/;

/**
 * The `RateLimit` value an outer request (e.g. `$batch`) should report once requests it made on the same
 * quota have run: the entry of the same policy with the fewest remaining, which is the latest state.
 */
export function latestRateLimit(outer: string, inner: readonly (string | undefined)[]): string {
  const policy = RATE_LIMIT_ITEM.exec(outer)?.[1];
  let latest = outer;
  let lowest = Number(RATE_LIMIT_ITEM.exec(outer)?.[2] ?? Infinity);
  for (const value of inner) {
    if (value === undefined) continue;
    const match = RATE_LIMIT_ITEM.exec(value);
    if (match === null || match[1] !== policy || Number(match[2]) >= lowest) continue;
    lowest = Number(match[2]);
    latest = value;
  }
  return latest;
}
