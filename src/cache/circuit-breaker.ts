/**
 * Opens after `threshold` consecutive L2 failures and keeps L2 out of the request path for
 * `openMs`; then lets one probe through (half-open) and closes on its success. While open the cache
 * answers from L1 and loaders, so a dead Redis costs nothing per request.
 */
export interface CircuitBreakerOptions {
  threshold?: number;
  openMs?: number;
  onChange?: (state: 'open' | 'closed') => void;
}

export class CircuitBreaker {
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #onChange: ((state: 'open' | 'closed') => void) | undefined;
  #failures = 0;
  #openUntil = 0;
  #probing = false;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = Math.max(1, options.threshold ?? 3);
    this.#openMs = Math.max(1, options.openMs ?? 2_000);
    this.#onChange = options.onChange;
  }

  get isOpen(): boolean {
    return this.#openUntil !== 0;
  }

  /** True when a call may go to L2 now (closed, or the single half-open probe). */
  allow(): boolean {
    if (this.#openUntil === 0) return true;
    if (this.#probing || Date.now() < this.#openUntil) return false;
    this.#probing = true;
    return true;
  }

  success(): void {
    this.#failures = 0;
    this.#probing = false;
    if (this.#openUntil !== 0) {
      this.#openUntil = 0;
      this.#onChange?.('closed');
    }
  }

  failure(): void {
    this.#probing = false;
    this.#failures++;
    if (this.#failures >= this.#threshold) {
      const wasOpen = this.#openUntil !== 0;
      this.#openUntil = Date.now() + this.#openMs;
      if (!wasOpen) this.#onChange?.('open');
    }
  }
}
