import { randomUUID } from 'node:crypto';
import { Schedules, type ScheduleSpec } from './scheduler.ts';
import type { TaskSystem } from './system.ts';

export interface StartSchedulerOptions {
  schedules?: readonly ScheduleSpec[];
  /** Leader lease; another scheduler takes over this long after the leader dies. Default 15 s. */
  leaseMs?: number;
  /** How often the leader re-applies specs (picks up edits and heals deleted schedulers). */
  resyncMs?: number;
}

export interface SchedulerHandle {
  readonly schedules: Schedules;
  isLeader(): boolean;
  close(): Promise<void>;
}

const LEASE_KEY = 'scheduler:leader';

/**
 * Beat. BullMQ job schedulers create each tick's job under an id derived from the scheduler id and
 * the tick time, so a tick can never be enqueued twice; we add a leader lease so only one process
 * upserts at a time (concurrent upserts are where BullMQ has had duplicate-run bugs).
 */
export async function startScheduler(system: TaskSystem, opts: StartSchedulerOptions = {}): Promise<SchedulerHandle> {
  const schedules = new Schedules(system, opts.schedules);
  const store = system.backend.store;
  const me = randomUUID();
  const leaseMs = opts.leaseMs ?? 15_000;
  let leader = false;
  let lastSync = 0;
  let stopped = false;

  async function tick(): Promise<void> {
    leader = leader ? await store.refreshIfEquals(LEASE_KEY, me, leaseMs) : await store.setIfAbsent(LEASE_KEY, me, leaseMs);
    if (leader && Date.now() - lastSync >= (opts.resyncMs ?? 60_000)) {
      await schedules.sync();
      lastSync = Date.now();
    }
  }
  await tick();
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      if (stopped) return;
      running = tick().catch((err: unknown) => system.logger.warn({ err }, 'scheduler tick failed'));
    },
    Math.max(50, Math.floor(leaseMs / 3)),
  );
  system.logger.info({ leader }, 'task scheduler started');
  return {
    schedules,
    isLeader: () => leader,
    async close() {
      stopped = true;
      clearInterval(timer);
      await running;
      if (leader) await store.deleteIfEquals(LEASE_KEY, me);
      leader = false;
    },
  };
}
