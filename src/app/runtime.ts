import { collectDefaultMetrics, Registry } from 'prom-client';
import { ApiKeyService } from '../auth/index.ts';
import type { Config } from '../config/index.ts';
import { DatabaseOpenError, dbAdminRoutes, migrateToLatest, openDatabase, QueryCache, relayTableWrites, translateDatabaseError, type Db } from '../db/index.ts';
import { documentRoutes } from '../documents/index.ts';
import { erpRoutes } from '../erp/index.ts';
import { mailAdminRoutes, mailPublicRoutes } from '../mail/index.ts';
import { alertAdminRoutes, alertDigest } from '../alerts/index.ts';
import { doctorAdminRoutes } from '../doctor/index.ts';
import { consoleRoutes, CONSOLE_DIST } from '../console/index.ts';
import { authRoutes, SessionService, sessionVerifier, userAdminRoutes, UserService } from '../users/index.ts';
import { apiKeyAdminRoutes, buildServer, readinessReport, type App, type ReadinessCheck, type ServerOptions } from '../http/index.ts';
import { ConfigError } from '../shared/errors.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { cacheAdminRoutes, createCache, type Cache } from '../cache/index.ts';
import { liveEventsRoutes, startScheduler, startWorkers, tasksAdminRoutes, type LoadedTasks, type SchedulerHandle, type WorkerPool } from '../tasks/index.ts';
import { apiToolkitFor, purgeResponsesOnWrite } from './api-toolkit.ts';
import { RedisRateLimitStore, responseStoreFromCache } from '../http/toolkit/index.ts';
import { acquireApiLock, type ApiLock } from './api-lock.ts';
import { checkDataDir } from './data-dir-check.ts';
import { stopGracefully, type ShutdownStep } from './shutdown.ts';
import { createAppTasks, reportDownloads, type AppTasks } from './tasks.ts';
import { analyticsRoutes, ERP_CUBES } from '../analytics/index.ts';
import { reportRoutes } from '../reports/index.ts';
import { searchAdminRoutes, searchRoutes } from '../search/index.ts';
import { REBUILD_SEARCH_INDEX, SYNC_KNOWLEDGE_BASE } from './search.ts';
import { ALL_ROLES, type Role } from './roles.ts';
import { SYNC_EXTERNAL_DATA_TASK, syncAdminRoutes } from '../sync/index.ts';

const OPERATION_BY_METHOD: Record<string, 'insert' | 'update' | 'delete'> = { POST: 'insert', PUT: 'update', PATCH: 'update', DELETE: 'delete' };

/** Everything one AI Stack process runs, built from the config in one place (the composition root). */
export interface Runtime {
  config: Config;
  /** What this process does: the HTTP API, task workers, the scheduler (all three by default). */
  roles: readonly Role[];
  logger: Logger;
  registry: Registry;
  db: Db;
  keys: ApiKeyService;
  cache: Cache;
  /** Caches list totals; undefined when switched off through RuntimeOptions. */
  queryCache: QueryCache | undefined;
  tasks: AppTasks;
  server: App;
  /** Set when start-up had to create the first admin key: shown to the operator once, never stored in clear. */
  bootstrapKey: string | null;
  /** Serves the API (with the `api` role) or only /healthz, /readyz and /metrics (without it). */
  listen(): Promise<string>;
  /** Runs this process's task workers and scheduler, as its roles say (what `ai-stack start` does). */
  startBackground(): Promise<void>;
  /** Graceful stop: refuse new requests, finish in-flight ones (bounded by the shutdown timeout), close pools. */
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  logger?: Logger;
  /** Switch off the list routes' caches, to measure or debug without them. Both are on by default. */
  resources?: { responseCache?: false; queryCache?: false };
  /** The user's own tasks and schedules (`--tasks` modules), registered beside the built-in ones. */
  tasks?: Partial<LoadedTasks>;
  /** Default: every role. Without `api` the server answers only health and metrics. */
  roles?: readonly Role[];
}

export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ai_stack_process_' });

  // Without Redis, caches are per process and deaf to another process's writes: one API process per data dir.
  const roles = options.roles ?? ALL_ROLES;
  const apiLock = config.redis || !roles.includes('api') ? undefined : acquireApiLock(config.dataDir);
  try {
    return await buildRuntime(config, { ...options, roles }, logger, registry, apiLock);
  } catch (error) {
    apiLock?.release();
    throw error;
  }
}

async function buildRuntime(
  config: Config,
  options: RuntimeOptions & { roles: readonly Role[] },
  logger: Logger,
  registry: Registry,
  apiLock: ApiLock | undefined,
): Promise<Runtime> {
  const db = await openDatabase(config.database, { logger, registry, slowQueries: config.slowQueries }).catch((error: unknown) => {
    if (error instanceof DatabaseOpenError) throw new ConfigError(`${error.message} (AI_STACK_DATA_DIR is ${config.dataDir})`);
    throw error;
  });
  const applied = await migrateToLatest(db);
  if (applied.applied.length > 0) logger.info({ migrations: applied.applied }, 'database migrated');

  const keys = new ApiKeyService(db.kysely);
  // Only an API node can be used with a key, so only it creates the first one (and shows it).
  const bootstrap = options.roles.includes('api') ? await keys.ensureBootstrapKey(config.adminKey) : { generatedKey: null };

  const users = new UserService(db.kysely);
  const sessions = new SessionService(db.kysely);

  const cache = await createCache({ redis: config.redis, registry, logger });
  const tasks = createAppTasks(config, { db, cache, logger, registry }, options.tasks);
  // Search tables (both generations' metadata, dictionary and synonyms) exist before the first query.
  await tasks.search.init();

  const responseStore = responseStoreFromCache(cache, { logger });
  const stopPurging = purgeResponsesOnWrite(db, responseStore, logger);
  const queryCache = options.resources?.queryCache === false ? undefined : new QueryCache(db, { registry, ttlMs: 10_000 });
  // Other nodes' writes invalidate this node's query cache at once (through Redis), not after the TTL.
  // Embedded, this process is the only writer and there is no one to tell.
  const stopRelay = config.redis ? await relayTableWrites(db.writes, (handlers) => cache.channel('db-writes', handlers)) : async () => {};
  const resourceOptions = {
    cursorSecret: config.http.cursorSecret,
    queryCache,
    ...(options.resources?.responseCache === false ? { responseCache: false as const } : {}),
  };

  const readiness: ReadinessCheck[] = [{ name: 'database', check: () => db.ping() }];
  // The data dir holds the SQLite database and/or the embedded task queue; with PostgreSQL and Redis it is unused.
  if (config.database.kind === 'sqlite' || !config.redis) readiness.push({ name: 'disk', check: () => checkDataDir(config.dataDir, config.minFreeDiskBytes) });
  if (config.redis) readiness.push({ name: 'redis', check: () => redisReady(cache) });
  const { roles } = options;
  const serves = (role: Role): boolean => roles.includes(role);
  let workers: WorkerPool | undefined;
  let scheduler: SchedulerHandle | undefined;
  // A process with the API is ready when the API can serve (its traffic is requests). A worker or scheduler
  // node is ready when its loop runs, and, on the embedded queue, when the queue's SQLite file answers (with
  // Redis the 'redis' check covers the queue's store); with Redis down at start-up it waits, and is not ready.
  const backgroundNode = !serves('api');
  if (backgroundNode && !config.redis) readiness.push({ name: 'task queue', check: () => taskQueueReady(tasks) });
  if (backgroundNode && serves('worker')) readiness.push({ name: 'workers', check: async () => void (workers ?? notStarted('task workers')) });
  if (backgroundNode && serves('scheduler')) readiness.push({ name: 'scheduler', check: async () => void (scheduler ?? notStarted('scheduler')) });
  const enqueue = async (task: string): Promise<string> => (await tasks.system.send(task, {})).id;
  const server = await buildServer(
    forRoles(roles, {
      logger,
      registry,
      keys,
      sessions: sessionVerifier(sessions),
      trustProxy: config.http.trustProxy,
      root: [
        async (app) => app.register(authRoutes({ users, sessions, ...loginLimitStore(config, cache) }), { prefix: '/api/v1/auth' }),
        mailPublicRoutes(tasks.mail),
        consoleRoutes(CONSOLE_DIST, { assetBaseUrl: config.http.assetBaseUrl }),
      ],
      bodyLimitBytes: config.http.bodyLimitBytes,
      readiness,
      translateError: (error, request) => translateDatabaseError(error, { operation: OPERATION_BY_METHOD[request.method] }),
      api: [
        apiToolkitFor(config, { cache, responseStore, registry, logger }),
        erpRoutes(db.kysely, resourceOptions),
        documentRoutes({ ...tasks.documents, system: tasks.system, uploadMaxBytes: config.documents.uploadMaxBytes }, resourceOptions),
        analyticsRoutes({ db, cubes: ERP_CUBES, queryCache }),
        reportRoutes({ db, tasks: tasks.system, downloads: reportDownloads(config, db), queryCache }),
        searchRoutes(tasks.search),
      ],
      admin: [
        apiKeyAdminRoutes(keys),
        userAdminRoutes(users),
        dbAdminRoutes(db),
        async (admin) => admin.register(cacheAdminRoutes(cache), { prefix: '/cache' }),
        tasksAdminRoutes(tasks.system, { basePath: '/admin/queues', schedules: tasks.schedules }),
        liveEventsRoutes(tasks.system, {
          readiness: () => readinessReport(readiness),
          // The console's overview: slow statements seen by this node, and the newest alert incidents.
          states: { slowQueries: async () => slowQueryTotals(db), alerts: () => alertDigest(db) },
        }),
        mailAdminRoutes(tasks.mail),
        alertAdminRoutes(tasks.alerts),
        doctorAdminRoutes(config, { database: () => db.ping(), redis: () => redisReady(cache) }),
        searchAdminRoutes(tasks.search, { rebuild: () => enqueue(REBUILD_SEARCH_INDEX), reconcile: () => enqueue(SYNC_KNOWLEDGE_BASE) }),
        syncAdminRoutes({ deps: tasks.sync, enqueue: async (sourceId) => (await tasks.system.send(SYNC_EXTERNAL_DATA_TASK, { sourceId })).id }),
      ],
      version: '0.1.0',
    }),
  );

  let stopping: Promise<void> | undefined;
  let background: Promise<void> | undefined;
  // Order matters: nothing may enqueue or run jobs once the queues close, and the database closes last.
  const closeSteps: ShutdownStep[] = [
    { name: 'response-cache purges', run: () => stopPurging() },
    { name: 'table-write relay', run: () => stopRelay() },
    { name: 'scheduler', run: () => scheduler?.close() },
    { name: 'task workers', run: (remainingMs) => workers?.close({ timeoutMs: Math.max(remainingMs - 1_000, 0) }) },
    { name: 'task queues', run: () => tasks.system.close() },
    { name: 'task backend', run: () => tasks.backend.close() },
    { name: 'documents (blob store, embedder)', run: () => tasks.documents.close() },
    { name: 'mail transport', run: () => tasks.mail.close() },
    { name: 'alert webhooks', run: () => tasks.alerts.close() },
    { name: 'cache', run: () => cache.close() },
    { name: 'database', run: () => db.close() },
    { name: 'API lock', run: () => apiLock?.release() },
  ];
  return {
    config,
    roles,
    logger,
    registry,
    db,
    keys,
    cache,
    queryCache,
    tasks,
    server,
    bootstrapKey: bootstrap.generatedKey,
    listen: () => server.listen({ port: config.port, host: config.host }),
    startBackground() {
      background ??= (async () => {
        // With Redis unreachable these wait until it is back; a stop() meanwhile closes what they started.
        if (serves('worker')) {
          const pool = await startWorkers(tasks.system);
          if (stopping) return void (await pool.close({ timeoutMs: 0 }));
          workers = pool;
        }
        if (serves('scheduler')) {
          const beat = await startScheduler(tasks.system, { schedules: tasks.schedules });
          if (stopping) return void (await beat.close());
          scheduler = beat;
        }
      })();
      return background;
    },
    stop() {
      stopping ??= stopGracefully(server, closeSteps, config.http.shutdownTimeoutMs, logger);
      return stopping;
    },
  };
}

/** Sign-in attempts counted in Redis when there is one, so a client cannot spread its guesses over the nodes. */
function loginLimitStore(config: Config, cache: Cache): { limitStore?: RedisRateLimitStore } {
  const redis = cache.raw;
  if (!config.redis || !redis) return {};
  return { limitStore: new RedisRateLimitStore({ redis, keyPrefix: `${config.redis.keyPrefix}:login:`, timeoutMs: 250 }) };
}

/** A process without the `api` role serves only /healthz, /readyz and /metrics: its port is for probes, not clients. */
function forRoles(roles: readonly Role[], options: ServerOptions): ServerOptions {
  return roles.includes('api') ? options : { ...options, root: [], api: [], admin: [] };
}

/** One round trip to the task queue's own store (SQLite file or Redis), which workers and schedulers live on. */
async function taskQueueReady(tasks: AppTasks): Promise<void> {
  await tasks.backend.store.get('readiness-probe');
}

function notStarted(what: string): never {
  throw new Error(`${what} not started yet (waiting for the task queue)`);
}

function slowQueryTotals(db: Db): { enabled: boolean; thresholdMs: number | null; calls: number; fingerprints: number } {
  const log = db.slowQueries;
  return { enabled: log !== undefined, thresholdMs: log?.thresholdMs ?? null, ...(log?.slowTotals() ?? { calls: 0, fingerprints: 0 }) };
}

async function redisReady(cache: Cache): Promise<void> {
  const health = await cache.health();
  if (!health.ok) throw new Error(health.detail ?? 'Redis does not answer');
}
