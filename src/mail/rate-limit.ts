/**
 * At most `perSecond` sends per recipient domain from this process: each domain gets evenly spaced
 * slots, so a bulk send to one big provider does not trip its throttling (and its 421s).
 */
export class DomainRateLimiter {
  readonly #intervalMs: number;
  readonly #nextSlot = new Map<string, number>();

  constructor(perSecond: number) {
    this.#intervalMs = 1000 / perSecond;
  }

  /** Resolves when a message to `domain` may be sent. */
  async take(domain: string, signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    const slot = Math.max(now, this.#nextSlot.get(domain) ?? 0);
    this.#nextSlot.set(domain, slot + this.#intervalMs);
    if (this.#nextSlot.size > 10_000) this.#forgetPast(now);
    const wait = slot - now;
    if (wait <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }

  #forgetPast(now: number): void {
    for (const [domain, next] of this.#nextSlot) if (next < now) this.#nextSlot.delete(domain);
  }
}
