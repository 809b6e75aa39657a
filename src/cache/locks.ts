import { randomUUID } from 'node:crypto';
import type { CacheCore } from './core.ts';
import { CacheUnavailableError } from './errors.ts';
import { durationOr, type Duration } from './ttl.ts';

/** A lease held by this process (release it when the load is done), or the holder's value read while waiting. */
export type LockOutcome = { token: string | undefined } | { value: unknown };

/**
 * Lease lock for getOrSet({ lock }): SET NX PX with a random token (the driver's "locks" capability).
 * A process that loses the race polls L2 for the holder's value (backing off to 50 ms) and takes the
 * lock itself if the holder released it without writing; after the wait timeout it loads anyway (fail
 * open, `token: undefined`). With L2 down there is no lock: in-process single-flight still holds.
 */
export async function acquireOrWait(
  core: CacheCore,
  full: string,
  ttl: Duration | undefined,
  wait: Duration | undefined,
  acceptExisting: boolean,
): Promise<LockOutcome> {
  const locks = core.need('locks', 'getOrSet({ lock })');
  const lockKey = core.keys.internal('lock', full);
  const leaseMs = durationOr(ttl, core.defaults.lockTtlMs, 'lock.ttl');
  const deadline = Date.now() + durationOr(wait, leaseMs, 'lock.waitTimeout');
  const token = randomUUID();
  const tryLock = async (): Promise<boolean | 'down'> => {
    try {
      return await core.l2('lock', () => locks.acquireLock(lockKey, token, leaseMs));
    } catch (error) {
      if (error instanceof CacheUnavailableError) return 'down';
      throw error;
    }
  };
  let got = await tryLock();
  let delay = 5;
  while (got === false && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(50, delay * 2);
    const l2 = acceptExisting ? await core.readL2(full, Date.now()) : undefined;
    if (l2?.state === 'fresh') return { value: core.promoteL2(full, l2) };
    got = await tryLock();
  }
  if (got !== true) return { token: undefined };
  if (!acceptExisting) return { token };
  // Double-check: the previous holder may have written and released between our miss and our lock.
  const l2 = await core.readL2(full, Date.now());
  if (l2.state === 'fresh') {
    await releaseLock(core, full, token);
    return { value: core.promoteL2(full, l2) };
  }
  return { token };
}

/** Token-checked release; an unreachable L2 lets the lease expire by itself. */
export async function releaseLock(core: CacheCore, full: string, token: string): Promise<void> {
  const locks = core.need('locks', 'getOrSet({ lock })');
  await core.l2Soft('unlock', () => locks.releaseLock(core.keys.internal('lock', full), token), false);
}
