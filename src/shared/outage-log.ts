const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
const CONNECTION_MESSAGES =
  /Connection is closed|Stream isn't writeable|connect ETIMEDOUT|Reached the max retries per request limit|Socket closed unexpectedly/i;

/** True for errors that mean "the server is unreachable" rather than "the command was wrong". */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  return (typeof code === 'string' && CONNECTION_CODES.has(code)) || CONNECTION_MESSAGES.test(error.message);
}

/** All OutageLog needs: pino's and Fastify's loggers both fit. */
export interface WarnLogger {
  warn(fields: object, message: string): void;
}

export interface OutageLogOptions {
  /** While the outage lasts, a summary line at most this often. Default 30 s. */
  summaryEveryMs?: number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
}

/**
 * Turns a dependency's stream of connection errors (a reconnecting client reports every few hundred ms, once
 * per connection) into three kinds of log line: one when the problem starts, a summary at most every
 * `summaryEveryMs` while it lasts, and one when it ends. No stack traces: the reason is the error's message.
 * Warn level for all three, so an operator who sees the start at LOG_LEVEL=warn also sees the end.
 */
export class OutageLog {
  readonly #logger: WarnLogger;
  readonly #what: string;
  readonly #summaryEveryMs: number;
  readonly #now: () => number;
  #since: number | undefined;
  #errors = 0;
  #lastLine = 0;
  #lastReason = '';

  constructor(logger: WarnLogger, what: string, options: OutageLogOptions = {}) {
    this.#logger = logger;
    this.#what = what;
    this.#summaryEveryMs = options.summaryEveryMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  get down(): boolean {
    return this.#since !== undefined;
  }

  failed(error: unknown): void {
    const now = this.#now();
    this.#errors++;
    this.#lastReason = error instanceof Error ? error.message : String(error);
    if (this.#since === undefined) {
      this.#since = now;
      this.#lastLine = now;
      this.#logger.warn(
        { reason: this.#lastReason, summaryEverySeconds: this.#summaryEveryMs / 1000 },
        `${this.#what} unreachable; retrying in the background`,
      );
      return;
    }
    if (now - this.#lastLine < this.#summaryEveryMs) return;
    this.#lastLine = now;
    this.#logger.warn({ reason: this.#lastReason, errors: this.#errors, downForMs: now - this.#since }, `${this.#what} still unreachable`);
  }

  recovered(): void {
    if (this.#since === undefined) return;
    this.#logger.warn({ errors: this.#errors, downForMs: this.#now() - this.#since }, `${this.#what} reachable again`);
    this.#since = undefined;
    this.#errors = 0;
  }
}
