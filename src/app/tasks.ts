import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { createCache } from '../cache/index.ts';
import type { Config } from '../config/index.ts';
import { openDatabase, type Db } from '../db/index.ts';
import type { Logger } from '../shared/logger.ts';
import { createRedisTaskBackend, createTaskSystem, createCleanupCacheTask, cleanupCacheSchedule, type PrunableCache, type ScheduleSpec, type TaskBackend, type TaskSystem } from '../tasks/index.ts';
import { createSqliteTaskBackend } from '../tasks/backends/sqlite/index.ts';
import { createReportTasks, FsReportFileStore, ReportDownloads, reportDb, reportFilesDir } from '../reports/index.ts';
import { QueryCache } from '../db/index.ts';

export interface AppTasks {
  system: TaskSystem;
  backend: TaskBackend;
  schedules: ScheduleSpec[];
}

/** Redis when REDIS_URL is set, otherwise the embedded SQLite queue beside the database in the data dir. */
export function taskBackendFor(config: Config): TaskBackend {
  if (config.redis) return createRedisTaskBackend(config.redis);
  // With PostgreSQL as the database nothing else creates the data dir, but the embedded queue lives there.
  mkdirSync(config.dataDir, { recursive: true });
  return createSqliteTaskBackend({ file: join(config.dataDir, 'tasks.sqlite') });
}

/** What the application's tasks may use; each module's tasks take what they need from it. */
export interface AppTaskDeps {
  config: Config;
  db: Db;
  cache: PrunableCache;
  logger: Logger;
  registry?: Registry;
}

/** The task system with every task this build knows and its periodic schedules. */
export function createAppTasks(config: Config, deps: Omit<AppTaskDeps, 'config'>): AppTasks {
  const backend = taskBackendFor(config);
  // Each module contributes its tasks and schedules here, one line each.
  const reports = createReportTasks({ db: deps.db, downloads: reportDownloads(config, deps.db), queryCache: new QueryCache(deps.db, { ttlMs: 60_000 }) });
  const tasks = [createCleanupCacheTask(deps.cache), ...reports.tasks];
  const schedules: ScheduleSpec[] = [cleanupCacheSchedule, ...reports.schedules];
  const system = createTaskSystem({ backend, tasks, logger: deps.logger, ...(deps.registry ? { registry: deps.registry } : {}) });
  return { system, backend, schedules };
}

/** Report files under the data dir; switching to the blob store is this one line. */
export function reportDownloads(config: Config, db: Db): ReportDownloads {
  return new ReportDownloads(reportDb(db), new FsReportFileStore(reportFilesDir(config.dataDir)));
}

/** For `ai-stack worker` / `ai-stack scheduler`: the same tasks as `start`, bound to a real cache, without HTTP. */
export async function createStandaloneTasks(config: Config, logger: Logger): Promise<AppTasks & { close(): Promise<void> }> {
  const cache = await createCache({ redis: config.redis, logger });
  // Migrations are `start`'s and `migrate`'s job; a worker only opens the database.
  const db = await openDatabase(config.database, { logger, slowQueries: config.slowQueries });
  const tasks = createAppTasks(config, { db, cache, logger });
  return {
    ...tasks,
    async close() {
      await tasks.system.close();
      await tasks.backend.close();
      await cache.close();
      await db.close();
    },
  };
}
