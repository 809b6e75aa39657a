import { statfs } from 'node:fs/promises';
import { listBackups } from '../backup/index.ts';
import type { Db } from '../db/index.ts';
import type { TaskSystem } from '../tasks/index.ts';
import type { AlertKind } from './rules.ts';

export interface Measurement {
  value: number;
  summary: string;
}

export interface ProbeDeps {
  db: Db;
  /** Late-bound: the task system is created after the alert tasks are defined. */
  tasks: () => TaskSystem;
  dataDir: string;
  backupDir: string;
  /** Named readiness checks (database, disk, redis) as /readyz runs them. */
  readiness: ReadonlyArray<{ name: string; check(): Promise<void> }>;
}

export type Probe = (rule: { id: number; queue: string | null }) => Promise<Measurement>;

/** One measurement per kind, all from what the system already tracks. */
export function createProbes(deps: ProbeDeps): Record<AlertKind, Probe> {
  const slowSeen = new Map<number, number>();
  const queuesOf = (queue: string | null) => (queue ? [queue] : [...deps.tasks().queueNames]);
  const countJobs = async (queue: string | null, states: Array<'failed' | 'waiting' | 'prioritized'>) => {
    let total = 0;
    for (const name of queuesOf(queue)) {
      const counts = await deps
        .tasks()
        .queue(name)
        .getJobCounts(...states);
      total += states.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
    }
    return total;
  };
  return {
    failed_tasks: async ({ queue }) => {
      const value = await countJobs(queue, ['failed']);
      return { value, summary: `${value} failed task(s) in ${queue ?? 'all queues'}` };
    },
    queue_backlog: async ({ queue }) => {
      const value = await countJobs(queue, ['waiting', 'prioritized']);
      return { value, summary: `${value} task(s) waiting in ${queue ?? 'all queues'}` };
    },
    oldest_waiting_minutes: async ({ queue }) => {
      let oldest = Date.now();
      for (const name of queuesOf(queue)) {
        const [job] = await deps.tasks().queue(name).getJobs(['waiting', 'prioritized'], 0, 0, true);
        if (job && job.timestamp < oldest) oldest = job.timestamp;
      }
      const value = Math.floor((Date.now() - oldest) / 60_000);
      return { value, summary: `the oldest waiting task in ${queue ?? 'all queues'} has waited ${value} min` };
    },
    // Slow statements since the previous evaluation (the log's counters only grow).
    slow_queries: async ({ id }) => {
      const total = (deps.db.slowQueries?.getSlowQueries({ limit: 1000 }) ?? []).reduce((sum, q) => sum + q.slowCalls, 0);
      const value = Math.max(0, total - (slowSeen.get(id) ?? total));
      slowSeen.set(id, total);
      return { value, summary: `${value} statement(s) at or over the slow-query threshold since the last check` };
    },
    readiness_failures: async () => {
      const failing: string[] = [];
      for (const check of deps.readiness) await check.check().catch((error: unknown) => failing.push(`${check.name}: ${(error as Error).message}`));
      return { value: failing.length, summary: failing.length === 0 ? 'every readiness check passes' : `readiness failing — ${failing.join('; ')}` };
    },
    disk_free_mb: async () => {
      const stats = await statfs(deps.dataDir);
      const value = Math.floor((stats.bavail * stats.bsize) / 1_048_576);
      return { value, summary: `${value} MB free on the data dir ${deps.dataDir}` };
    },
    backup_age_hours: async () => {
      const [newest] = await listBackups(deps.backupDir);
      if (!newest) return { value: Number.MAX_SAFE_INTEGER, summary: `no backup in ${deps.backupDir}` };
      const value = Math.floor((Date.now() - newest.createdAt.getTime()) / 3_600_000);
      return { value, summary: `the newest backup (${newest.id}) is ${value} h old` };
    },
  };
}
