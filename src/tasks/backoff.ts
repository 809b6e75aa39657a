import type { MinimalJob } from 'bullmq';
import type { TaskSystem } from './system.ts';

const DEFAULT_DELAY_MS = 1_000;
const DEFAULT_MAX_MS = 600_000; // Celery's retry_backoff_max

/**
 * Exponential backoff with "equal jitter": half the exponential delay is fixed, half random, so a
 * burst of failures spreads out without any retry coming back immediately.
 */
export function backoffDelay(retry: number, policy: { delayMs?: number; maxMs?: number; jitter?: boolean } = {}, random = Math.random): number {
  const base = policy.delayMs ?? DEFAULT_DELAY_MS;
  const capped = Math.min(policy.maxMs ?? DEFAULT_MAX_MS, base * 2 ** Math.max(0, retry - 1));
  if (policy.jitter === false) return Math.round(capped);
  return Math.round(capped / 2 + random() * (capped / 2));
}

/** BullMQ `settings.backoffStrategy`: reads the policy of the job's task. */
export function backoffStrategyFor(system: TaskSystem) {
  return (attemptsMade: number, _type?: string, _err?: Error, job?: MinimalJob): number => {
    const name = (job?.data as { task?: string } | undefined)?.task;
    const def = name === undefined ? undefined : system.definition(name);
    return backoffDelay(attemptsMade, def?.options.retries?.backoff);
  };
}
