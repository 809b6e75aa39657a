import { AiStackError, ValidationError, type FieldIssue } from '../shared/errors.ts';

/** A template could not be rendered: unknown template or locale, or a variable the caller did not give. */
export class TemplateError extends ValidationError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super(message, issues);
  }
}

/** The server will not take this message (5xx, invalid address): retrying cannot help. */
export class MailPermanentError extends AiStackError {
  readonly responseCode: number | undefined;
  constructor(message: string, responseCode?: number, cause?: unknown) {
    super(message, { code: 'mail_rejected', status: 502, cause });
    this.responseCode = responseCode;
  }
}

/** Try again later: a 4xx answer, a dropped connection, a timeout. */
export class MailTemporaryError extends AiStackError {
  readonly responseCode: number | undefined;
  constructor(message: string, responseCode?: number, cause?: unknown) {
    super(message, { code: 'mail_deferred', status: 503, cause });
    this.responseCode = responseCode;
  }
}

/** Thrown by a mail task when some of its messages wait for a retry, so the task system retries it with backoff. */
export class MailDeferredError extends AiStackError {
  constructor(pending: number) {
    super(`${pending} message(s) deferred after a temporary failure; retrying`, { code: 'mail_deferred', status: 503 });
  }
}

/**
 * nodemailer's errors carry `responseCode` for SMTP answers and `code` for the rest.
 * 5xx and address errors are permanent; everything else (4xx, sockets, timeouts) is temporary.
 */
export function classifySendError(error: unknown): MailPermanentError | MailTemporaryError {
  if (error instanceof MailPermanentError || error instanceof MailTemporaryError) return error;
  const e = error as { responseCode?: unknown; code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  if (responseCode !== undefined && responseCode >= 500) return new MailPermanentError(message, responseCode, error);
  if (responseCode === undefined && (e.code === 'EENVELOPE' || e.code === 'EADDRESS')) return new MailPermanentError(message, undefined, error);
  return new MailTemporaryError(message, responseCode, error);
}
