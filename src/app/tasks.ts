import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { createCache } from '../cache/index.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../shared/logger.ts';
import { createRedisTaskBackend, createTaskSystem, createCleanupCacheTask, cleanupCacheSchedule, type PrunableCache, type ScheduleSpec, type TaskBackend, type TaskSystem } from '../tasks/index.ts';
import { createSqliteTaskBackend } from '../tasks/backends/sqlite/index.ts';

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

/** The task system with every task this build knows and its periodic schedules. */
export function createAppTasks(config: Config, deps: { cache: PrunableCache; logger: Logger; registry?: Registry }): AppTasks {
  const backend = taskBackendFor(config);
  const system = createTaskSystem({ backend, tasks: [createCleanupCacheTask(deps.cache)], logger: deps.logger, ...(deps.registry ? { registry: deps.registry } : {}) });
  return { system, backend, schedules: [cleanupCacheSchedule] };
}

/** For `ai-stack worker` / `ai-stack scheduler`: the same tasks as `start`, bound to a real cache, without HTTP. */
export async function createStandaloneTasks(config: Config, logger: Logger): Promise<AppTasks & { close(): Promise<void> }> {
  const cache = await createCache({ redis: config.redis, logger });
  const tasks = createAppTasks(config, { cache, logger });
  return {
    ...tasks,
    async close() {
      await tasks.system.close();
      await tasks.backend.close();
      await cache.close();
    },
  };
}
