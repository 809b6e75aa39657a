import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { createCache } from '../cache/index.ts';
import type { Config } from '../config/index.ts';
import { openDatabase, type Db } from '../db/index.ts';
import { createMailService, createMailTasks, type MailService } from '../mail/index.ts';
import type { Logger } from '../shared/logger.ts';
import {
  createRedisTaskBackend,
  createTaskSystem,
  createCleanupCacheTask,
  cleanupCacheSchedule,
  type PrunableCache,
  type ScheduleSpec,
  type TaskBackend,
  type TaskSystem,
} from '../tasks/index.ts';
import { createSqliteTaskBackend } from '../tasks/backends/sqlite/index.ts';
import type { LoadedTasks } from '../tasks/index.ts';
import { createDocumentsModule, type DocumentsModule } from '../documents/index.ts';
import { createReportTasks, FsReportFileStore, ReportDownloads, reportDb, reportFilesDir } from '../reports/index.ts';
import { QueryCache } from '../db/index.ts';
import { createAppSearch, type AppSearch } from './search.ts';
import { backupSchedules, createBackupTask } from '../backup/index.ts';
import { createAlertService, type AlertService } from '../alerts/index.ts';
import { checkDataDir } from './data-dir-check.ts';
import { createSyncTask, type SyncDeps } from '../sync/index.ts';

export interface AppTasks {
  system: TaskSystem;
  backend: TaskBackend;
  schedules: ScheduleSpec[];
  documents: DocumentsModule;
  /** Full-text search over the documents' chunks; indexed when a document becomes ready. */
  search: AppSearch['service'];
  /** Outgoing mail (its tasks are in `system`); closed by `closeAppTasks`' callers with the rest. */
  mail: MailService;
  /** Alert rules and their evaluation (`sync.evaluate_alerts`, every minute). */
  alerts: AlertService;
  /** What `sync.sync_external_data` and the /admin/sync routes work with. */
  sync: SyncDeps;
}

/** Redis when REDIS_URL is set, otherwise the embedded SQLite queue beside the database in the data dir. */
export function taskBackendFor(config: Config): TaskBackend {
  if (config.redis) return createRedisTaskBackend(config.redis);
  // With PostgreSQL as the database nothing else creates the data dir, but the embedded queue lives there.
  mkdirSync(config.dataDir, { recursive: true });
  return createSqliteTaskBackend({ file: join(config.dataDir, 'tasks.sqlite'), synchronous: config.sqliteSynchronous });
}

/** What the application's tasks may use; each module's tasks take what they need from it. */
export interface AppTaskDeps {
  config: Config;
  db: Db;
  cache: PrunableCache;
  logger: Logger;
  registry?: Registry;
}

/** The task system with every task this build knows and its periodic schedules, plus the user's (`--tasks`). */
export function createAppTasks(config: Config, deps: Omit<AppTaskDeps, 'config'>, user: Partial<LoadedTasks> = {}): AppTasks {
  const backend = taskBackendFor(config);
  const documents = createDocumentsModule({
    db: deps.db.kysely,
    dataDir: config.dataDir,
    documents: config.documents,
    embeddings: config.embeddings,
    logger: deps.logger,
  });
  // Each module contributes its tasks and schedules here, one line each.
  const mail = createMailService({ db: deps.db, config: config.mail, dataDir: config.dataDir, logger: deps.logger });
  const mailTasks = createMailTasks(mail);
  const reports = createReportTasks({ db: deps.db, downloads: reportDownloads(config, deps.db), queryCache: new QueryCache(deps.db, { ttlMs: 60_000 }) });
  const search = createAppSearch(deps.db, documents, deps.logger);
  // The alert rules measure and notify through the task system, which is created with their task below.
  const late: { system?: TaskSystem } = {};
  const alerts = createAlertService({
    db: deps.db,
    tasks: () => {
      if (!late.system) throw new Error('the task system is not ready yet');
      return late.system;
    },
    dataDir: config.dataDir,
    backupDir: config.backup.dir,
    readiness: [
      { name: 'database', check: () => deps.db.ping() },
      { name: 'disk', check: () => checkDataDir(config.dataDir, config.minFreeDiskBytes) },
    ],
    allow: config.outbound.allow,
    logger: deps.logger,
  });
  const sync: SyncDeps = { db: deps.db, credentialsKey: config.sync.credentialsKey, allow: config.outbound.allow, logger: deps.logger };
  const tasks = [
    createCleanupCacheTask(deps.cache),
    ...documents.tasks.definitions,
    ...mailTasks.tasks,
    ...reports.tasks,
    ...search.tasks,
    createBackupTask(config),
    ...alerts.tasks,
    createSyncTask(sync),
  ];
  const schedules: ScheduleSpec[] = [
    cleanupCacheSchedule,
    ...documents.tasks.schedules,
    ...mailTasks.schedules,
    ...reports.schedules,
    ...search.schedules,
    ...backupSchedules(config),
    ...alerts.schedules,
  ];
  const system = createTaskSystem({
    backend,
    tasks: [...tasks, ...(user.tasks ?? [])],
    logger: deps.logger,
    ...(deps.registry ? { registry: deps.registry } : {}),
  });
  late.system = system;
  documents.tasks.attach(system);
  return { system, backend, schedules: [...schedules, ...(user.schedules ?? [])], documents, mail, alerts, sync, search: search.service };
}

/** Report files under the data dir; switching to the blob store is this one line. */
export function reportDownloads(config: Config, db: Db): ReportDownloads {
  return new ReportDownloads(reportDb(db), new FsReportFileStore(reportFilesDir(config.dataDir)));
}

/** For `ai-stack worker` / `ai-stack scheduler`: the same tasks as `start`, bound to a real cache, without HTTP. */
export async function createStandaloneTasks(config: Config, logger: Logger, user: Partial<LoadedTasks> = {}): Promise<AppTasks & { close(): Promise<void> }> {
  const cache = await createCache({ redis: config.redis, logger });
  // Migrations are `start`'s and `migrate`'s job; a worker only opens the database.
  const db = await openDatabase(config.database, { logger, slowQueries: config.slowQueries });
  const tasks = createAppTasks(config, { db, cache, logger }, user);
  return {
    ...tasks,
    async close() {
      await tasks.system.close();
      await tasks.backend.close();
      await tasks.documents.close();
      await tasks.mail.close();
      await tasks.alerts.close();
      await cache.close();
      await db.close();
    },
  };
}
