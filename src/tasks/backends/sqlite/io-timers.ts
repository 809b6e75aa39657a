/**
 * The timers the backend uses for its own I/O-like work — committing a batch, answering on a later
 * turn, blocking waits — captured when this module loads. A test that installs fake timers (sinon,
 * `vi.useFakeTimers`) replaces the globals afterwards; on Redis such a test still gets its replies,
 * because a socket is not a timer, so the embedded backend must not stop committing either.
 */
const realSetImmediate = globalThis.setImmediate;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

/** Runs `fn` on the next turn of the event loop (microtasks drained in between). */
export function onNextTurn(fn: () => void): void {
  realSetImmediate(fn);
}

/** Resolves on the next turn of the event loop. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => realSetImmediate(resolve));
}

export function ioTimeout(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  return realSetTimeout(fn, ms);
}

export function clearIoTimeout(timer: ReturnType<typeof setTimeout>): void {
  realClearTimeout(timer);
}
