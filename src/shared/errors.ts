/**
 * Typed errors shared by every module. Each carries a stable `code` and the HTTP status it maps to,
 * so the HTTP edge turns any of them into problem+json in one place (src/http/problem.ts).
 */
export interface FieldIssue {
  /** JSON-pointer-ish location, e.g. `/lines/0/quantity` or `PORT`. */
  field: string;
  message: string;
}

export class AiStackError extends Error {
  readonly code: string;
  readonly status: number;
  readonly issues: FieldIssue[];

  constructor(message: string, opts: { code?: string; status?: number; issues?: FieldIssue[]; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code ?? 'internal_error';
    this.status = opts.status ?? 500;
    this.issues = opts.issues ?? [];
  }

  /** The name Fastify and plugins with their own error handler (Bull Board) read the status from. */
  get statusCode(): number {
    return this.status;
  }
}

export class ConfigError extends AiStackError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super(message, { code: 'invalid_config', status: 500, issues });
  }
}

export class ValidationError extends AiStackError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super(message, { code: 'validation_failed', status: 400, issues });
  }
}

export class NotFoundError extends AiStackError {
  constructor(what: string) {
    super(`${what} was not found`, { code: 'not_found', status: 404 });
  }
}

export class ConflictError extends AiStackError {
  constructor(message: string, opts: { code?: string; cause?: unknown } = {}) {
    super(message, { code: opts.code ?? 'conflict', status: 409, cause: opts.cause });
  }
}

export class UnauthorizedError extends AiStackError {
  constructor(message = 'A valid API key is required: send it as "Authorization: Bearer <key>"') {
    super(message, { code: 'unauthorized', status: 401 });
  }
}

export class ForbiddenError extends AiStackError {
  constructor(message: string) {
    super(message, { code: 'forbidden', status: 403 });
  }
}

export class UnavailableError extends AiStackError {
  constructor(message: string, opts: { code?: string; cause?: unknown } = {}) {
    super(message, { code: opts.code ?? 'unavailable', status: 503, cause: opts.cause });
  }
}

/** The disk (or the database server's) is full: the write did not happen; retry once space is freed. */
export class InsufficientStorageError extends AiStackError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'insufficient_storage', status: 507, cause: opts.cause });
  }
}
