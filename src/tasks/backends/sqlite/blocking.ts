import type { EventEmitter } from 'node:events';
import { clearIoTimeout, ioTimeout } from './io-timers.ts';

/**
 * Waits for a wake-up on `bus` (any of `channels`), the timeout, or `cancel()`, whichever comes
 * first; resolves true when woken by a channel. Callers re-check their condition after every wake:
 * a wake-up says "something changed", not "your job is there".
 */
export function waitForSignal(bus: EventEmitter, channels: readonly string[], timeoutMs: number, register: (cancel: () => void) => void): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (signalled: boolean): void => {
      if (settled) return;
      settled = true;
      clearIoTimeout(timer);
      for (const channel of channels) bus.removeListener(channel, onSignal);
      resolve(signalled);
    };
    const onSignal = (): void => finish(true);
    const timer = ioTimeout(() => finish(false), Math.max(0, timeoutMs));
    for (const channel of channels) bus.on(channel, onSignal);
    register(() => finish(false));
  });
}
