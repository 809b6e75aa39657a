import type { RateLimitDecision, RateLimitPolicy } from './types.ts';

/**
 * GCRA (the algorithm behind redis-cell): the whole state is one number, the theoretical arrival
 * time (TAT). Integer microseconds keep the in-process and Lua versions bit-for-bit identical and free of
 * float drift (`limit` requests always fit a window exactly).
 */
export function emissionIntervalUs(policy: RateLimitPolicy): number {
  return Math.max(1, Math.floor((policy.windowMs * 1000) / policy.limit));
}

export interface GcraStep {
  decision: RateLimitDecision;
  /** New TAT to store when allowed; null when denied (state unchanged). */
  nextTatUs: number | null;
}

export function gcraStep(storedTatUs: number | undefined, nowUs: number, policy: RateLimitPolicy, cost: number): GcraStep {
  const interval = emissionIntervalUs(policy);
  const window = policy.windowMs * 1000;
  const tat = storedTatUs === undefined || storedTatUs < nowUs ? nowUs : storedTatUs;
  const next = tat + interval * cost;
  if (next - nowUs > window) {
    return {
      nextTatUs: null,
      decision: decisionFromUs(false, Math.floor((window - (tat - nowUs)) / interval), tat - nowUs, next - nowUs - window),
    };
  }
  return { nextTatUs: next, decision: decisionFromUs(true, Math.floor((window - (next - nowUs)) / interval), next - nowUs, 0) };
}

export function decisionFromUs(allowed: boolean, remaining: number, resetUs: number, retryAfterUs: number): RateLimitDecision {
  return {
    allowed,
    remaining: Math.max(0, remaining),
    resetMs: Math.ceil(Math.max(0, resetUs) / 1000),
    retryAfterMs: Math.ceil(Math.max(0, retryAfterUs) / 1000),
  };
}
