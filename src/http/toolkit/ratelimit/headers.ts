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
