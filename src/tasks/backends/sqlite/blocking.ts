import type { EventEmitter } from 'node:events';

/**
 * Waits for an in-process wake-up on `bus`/`channel`, the timeout, or `cancel()`, whichever comes
 * first. Other processes' writes are picked up by the caller's next poll, so `timeoutMs` is capped
 * by the caller at its cross-process poll interval.
 */
export function waitForSignal(
  bus: EventEmitter, channel: string, timeoutMs: number, register: (cancel: () => void) => void,
): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (signalled: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      bus.removeListener(channel, onSignal);
      resolve(signalled);
    };
    const onSignal = (): void => finish(true);
    const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
    bus.on(channel, onSignal);
    register(() => finish(false));
  });
}
