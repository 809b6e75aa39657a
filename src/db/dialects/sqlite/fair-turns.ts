/**
 * node:sqlite answers synchronously, so a chain of awaited statements (indexing 300,000 chunks, vectorising a
 * 200 MB document) resolves in microtasks and never gives the event loop a turn: HTTP requests, timers and
 * lock renewals of the same process waited for over a minute (seen with the 200 MB upload benchmark). Before
 * each statement, a chain that has run longer than MAX_TURN_MS without a turn of the event loop yields one.
 */
const MAX_TURN_MS = 20;

let chainStartedAt = 0;
/** Pending until the event loop turns: while it is, every statement belongs to the same chain. */
let marker: NodeJS.Immediate | undefined;

/** Resolves at once unless the current chain of statements has held the event loop too long; then after one turn of it. */
export function fairTurn(): Promise<void> | undefined {
  const now = performance.now();
  if (marker === undefined) {
    chainStartedAt = now;
    marker = setImmediate(() => {
      marker = undefined;
    }).unref();
    return undefined;
  }
  if (now - chainStartedAt < MAX_TURN_MS) return undefined;
  // Scheduled after the marker, so the marker has cleared when this resolves: the next statement starts a new chain.
  return new Promise((resolve) => setImmediate(resolve));
}
