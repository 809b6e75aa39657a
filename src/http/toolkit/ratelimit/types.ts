/** One rate-limit policy: at most `limit` units per `windowMs`, with bursts up to `limit` (GCRA). */
export interface RateLimitPolicy {
  limit: number;
  windowMs: number;
}

/** The seed's `is_allowed` answer, in milliseconds. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Units still available right after this decision. */
  remaining: number;
  /** Until the bucket is completely full again. */
  resetMs: number;
  /** 0 when allowed; otherwise how long until this request would be allowed. */
  retryAfterMs: number;
}

/**
 * A place to keep GCRA state. Implementations must make one `consume` atomic per key.
 * Pass the same `policy` object for the same bucket (createRateLimiter does): the in-process store
 * keys its state by that object.
 */
export interface RateLimitStore {
  consume(key: string, policy: RateLimitPolicy, cost: number): Promise<RateLimitDecision>;
}
