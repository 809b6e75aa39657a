/**
 * The embedded queue's "server clock": what Redis's own clock is to BullMQ on Redis. Lock expiry,
 * stalled checks, rate-limit windows and deduplication TTLs run on it; job timestamps and delays
 * keep the caller's `Date.now()`, as BullMQ passes them to Redis.
 *
 * It is the wall clock read once when this module loads plus monotonic time since, so a wall-clock
 * jump (NTP step, suspend, a test's fake `Date`) cannot expire a live lock or stretch a window.
 * `process.hrtime.bigint` is captured at load, before any fake timers replace it.
 */
const monotonicNs = process.hrtime.bigint.bind(process.hrtime);
const originNs = monotonicNs();
const originWall = Date.now();

export function serverNow(): number {
  return originWall + Number((monotonicNs() - originNs) / 1_000_000n);
}
