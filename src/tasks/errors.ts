import { AiStackError, ValidationError, type FieldIssue } from '../shared/errors.ts';

/** Throw from a handler to fail at once, skipping any retries left. */
export class NonRetryableError extends AiStackError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'task_non_retryable', status: 500, cause: opts.cause });
  }
}

/** Raised inside a handler's signal (soft) or recorded as the failure (hard) when a time limit passes. */
export class TimeLimitExceededError extends AiStackError {
  readonly kind: 'soft' | 'hard';
  constructor(kind: 'soft' | 'hard', limitMs: number) {
    super(`${kind} time limit of ${limitMs} ms exceeded`, { code: `task_${kind}_time_limit`, status: 500 });
    this.kind = kind;
  }
}

/** The task was revoked (before start) or terminated (while running). */
export class TaskRevokedError extends AiStackError {
  constructor(id: string) {
    super(`task ${id} was revoked`, { code: 'task_revoked', status: 409 });
  }
}

/** `handle.get({ timeout })` gave up waiting. */
export class TaskTimeoutError extends AiStackError {
  constructor(id: string, timeoutMs: number) {
    super(`task ${id} did not finish within ${timeoutMs} ms`, { code: 'task_wait_timeout', status: 504 });
  }
}

/** `handle.get()` on a task that failed: carries the remote error's name, message and stack. */
export class TaskFailedError extends AiStackError {
  readonly remoteName: string;
  readonly remoteStack: string | undefined;
  constructor(id: string, remote: { name: string; message: string; stack?: string | undefined }) {
    super(`task ${id} failed: ${remote.name}: ${remote.message}`, { code: 'task_failed', status: 500 });
    this.remoteName = remote.name;
    this.remoteStack = remote.stack;
  }
}

/** Arguments did not match the task's schema; raised at enqueue time, nothing was enqueued. */
export class TaskArgumentsError extends ValidationError {
  constructor(task: string, issues: FieldIssue[]) {
    const first = issues[0];
    super(`invalid arguments for task "${task}"${first ? `: ${first.field || '/'} ${first.message}` : ''}`, issues);
  }
}

export class UnknownTaskError extends AiStackError {
  constructor(name: string) {
    super(`no task named "${name}" is registered`, { code: 'task_unknown', status: 404 });
  }
}
