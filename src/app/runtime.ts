import { collectDefaultMetrics, Registry } from 'prom-client';
import { ApiKeyService } from '../auth/index.ts';
import type { Config } from '../config/index.ts';
import { dbAdminRoutes, migrateToLatest, openDatabase, QueryCache, relayTableWrites, translateDatabaseError, type Db } from '../db/index.ts';
import { documentRoutes } from '../documents/index.ts';
import { erpRoutes } from '../erp/index.ts';
import { apiKeyAdminRoutes, buildServer, type App, type ReadinessCheck } from '../http/index.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { cacheAdminRoutes, createCache, type Cache } from '../cache/index.ts';
import { startScheduler, startWorkers, tasksAdminRoutes, type LoadedTasks, type SchedulerHandle, type WorkerPool } from '../tasks/index.ts';
import { apiToolkitFor, purgeResponsesOnWrite } from './api-toolkit.ts';
import { responseStoreFromCache } from '../http/toolkit/index.ts';
import { createAppTasks, type AppTasks } from './tasks.ts';

const OPERATION_BY_METHOD: Record<string, 'insert' | 'update' | 'delete'> = { POST: 'insert', PUT: 'update', PATCH: 'update', DELETE: 'delete' };

/** Everything one AI Stack process runs, built from the config in one place (the composition root). */
export interface Runtime {
  config: Config;
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
  listen(): Promise<string>;
  /** Runs task workers and the scheduler in this process (what `ai-stack start` does). */
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
}

export async function createRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ai_stack_process_' });

  const db = await openDatabase(config.database, { logger, registry, slowQueries: config.slowQueries });
  const applied = await migrateToLatest(db);
  if (applied.applied.length > 0) logger.info({ migrations: applied.applied }, 'database migrated');

  const keys = new ApiKeyService(db.kysely);
  const bootstrap = await keys.ensureBootstrapKey(config.adminKey);

  const cache = await createCache({ redis: config.redis, registry, logger });
  const tasks = createAppTasks(config, { db, cache, logger, registry }, options.tasks);

  const responseStore = responseStoreFromCache(cache);
  const stopPurging = purgeResponsesOnWrite(db, responseStore, logger);
  const queryCache = options.resources?.queryCache === false ? undefined : new QueryCache(db, { registry, ttlMs: 10_000 });
  // Other nodes' writes invalidate this node's query cache at once (through Redis), not after the TTL.
  // Embedded, this process is the only writer and there is no one to tell.
  const stopRelay = config.redis ? await relayTableWrites(db.writes, (handlers) => cache.channel('db-writes', handlers)) : async () => {};
  const resourceOptions = { cursorSecret: config.http.cursorSecret, queryCache, ...(options.resources?.responseCache === false ? { responseCache: false as const } : {}) };

  const readiness: ReadinessCheck[] = [{ name: 'database', check: () => db.ping() }];
  if (config.redis) readiness.push({ name: 'redis', check: () => redisReady(cache) });
  const server = await buildServer({
    logger,
    registry,
    keys,
    bodyLimitBytes: config.http.bodyLimitBytes,
    readiness,
    translateError: (error, request) => translateDatabaseError(error, { operation: OPERATION_BY_METHOD[request.method] }),
    api: [apiToolkitFor(config, { cache, responseStore, registry, logger }), erpRoutes(db.kysely, resourceOptions), documentRoutes(db.kysely, resourceOptions)],
    admin: [
      apiKeyAdminRoutes(keys),
      dbAdminRoutes(db),
      async (admin) => admin.register(cacheAdminRoutes(cache), { prefix: '/cache' }),
      tasksAdminRoutes(tasks.system, { basePath: '/admin/queues', schedules: tasks.schedules }),
    ],
    version: '0.1.0',
  });

  let stopping: Promise<void> | undefined;
  let workers: WorkerPool | undefined;
  let scheduler: SchedulerHandle | undefined;
  const closeAll = async () => {
    stopPurging();
    await stopRelay();
    await scheduler?.close();
    await workers?.close({ timeoutMs: config.http.shutdownTimeoutMs });
    await tasks.system.close();
    await tasks.backend.close();
    await cache.close();
    await db.close();
  };
  return {
    config,
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
    async startBackground() {
      workers ??= await startWorkers(tasks.system);
      scheduler ??= await startScheduler(tasks.system, { schedules: tasks.schedules });
    },
    stop() {
      stopping ??= stopGracefully(server, closeAll, config.http.shutdownTimeoutMs, logger);
      return stopping;
    },
  };
}

async function redisReady(cache: Cache): Promise<void> {
  const health = await cache.health();
  if (!health.ok) throw new Error(health.detail ?? 'Redis does not answer');
}

async function stopGracefully(server: App, closeAll: () => Promise<void>, timeoutMs: number, logger: Logger): Promise<void> {
  // server.close() stops accepting, answers 503 to requests arriving on open keep-alive sockets and waits for
  // in-flight requests; the timer is the backstop for a client that never finishes its request.
  const timer = setTimeout(() => {
    logger.warn({ timeoutMs }, 'shutdown timeout reached; closing remaining connections');
    server.server.closeAllConnections();
  }, timeoutMs);
  try {
    await server.close();
  } finally {
    clearTimeout(timer);
    await closeAll();
  }
}
