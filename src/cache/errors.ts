import { AiStackError, UnavailableError } from '../shared/errors.ts';

/** Redis (L2) could not be reached, or the circuit breaker is open; only raised where no fallback exists. */
export class CacheUnavailableError extends UnavailableError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'cache_unavailable', cause });
  }
}

/** A loader passed its hard timeout and no stale value could be served instead. */
export class CacheLoaderTimeoutError extends AiStackError {
  constructor(key: string, timeoutMs: number) {
    super(`Loading cache key "${key}" took longer than ${timeoutMs} ms`, { code: 'cache_loader_timeout', status: 504 });
  }
}

/** A stored value could not be decoded (corrupt, foreign or hostile data). */
export class CacheCodecError extends AiStackError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'cache_codec_error', status: 500, cause });
  }
}

/** The cache's driver lacks the capability a call needs (e.g. tags on a driver without sets). */
export class CacheUnsupportedError extends AiStackError {
  constructor(feature: string, driver: string, capability: string) {
    super(`${feature} needs the "${capability}" capability, which the cache driver "${driver}" does not offer`, { code: 'cache_unsupported', status: 501 });
  }
}
