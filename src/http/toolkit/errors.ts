import { AiStackError, type FieldIssue } from '../../shared/errors.ts';

/** 429: the caller used up a rate-limit policy; `retryAfterMs` feeds `Retry-After`. */
export class RateLimitedError extends AiStackError {
  readonly retryAfterMs: number;
  readonly policy: string;

  constructor(policy: string, retryAfterMs: number) {
    super(`Rate limit "${policy}" exceeded; retry in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`, {
      code: 'rate_limited',
      status: 429,
    });
    this.policy = policy;
    this.retryAfterMs = retryAfterMs;
  }
}

/** 406: the client's Accept-Encoding forbids every coding we can produce, identity included. */
export class NotAcceptableError extends AiStackError {
  constructor(message: string) {
    super(message, { code: 'not_acceptable', status: 406 });
  }
}

/** 422: the request is well-formed but cannot be processed as sent (e.g. an Idempotency-Key reused with another body). */
export class UnprocessableError extends AiStackError {
  constructor(message: string, opts: { code?: string; issues?: FieldIssue[] } = {}) {
    super(message, { code: opts.code ?? 'unprocessable', status: 422, issues: opts.issues ?? [] });
  }
}

/** 424: a `$batch` sub-request was skipped because one it depends on failed. */
export class FailedDependencyError extends AiStackError {
  constructor(message: string) {
    super(message, { code: 'failed_dependency', status: 424 });
  }
}
