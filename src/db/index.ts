/**
 * The data layer: one Kysely API over SQLite (node:sqlite) and PostgreSQL (pg), the migrations,
 * error translation and demo data; and the performance toolkit: slow-query log, pool stats,
 * batch writer and COPY, query cache, index advisor and its admin routes. See docs/database.md.
 */
export type { Db, DialectName, NativeHandles } from './db.ts';
export { openDatabase } from './open.ts';
export { withoutDiskFlush } from './commit-durability.ts';
// The node:sqlite Kysely dialect on its own, for code that wants a bare SQLite Kysely (benchmarks, other services).
export { NodeSqliteDialect, NodeSqliteHandles } from './dialects/sqlite/index.ts';
export type { OpenDatabaseOptions } from './open.ts';
export { migrateToLatest, pendingMigrations, ACCOUNTS, CHART_OF_ACCOUNTS } from './migrations/index.ts';
export { DatabaseOpenError, translateDatabaseError } from './errors.ts';
export type { TranslateHint } from './errors.ts';
export type * from './schema.ts';
export { CUSTOMER_SEGMENTS } from './schema.ts';
export { loadDemoData, DEMO_TABLES } from './demo-data/index.ts';
export type { DemoDataOptions, DemoDataProgress, DemoDataReport, DemoTable } from './demo-data/index.ts';
export { SlowQueryLog, normalizeSql, tablesOf, fingerprintOf } from './slow-queries/index.ts';
export type { QueryStats, SlowQueryLogOptions } from './slow-queries/index.ts';
export { QueryCache, WriteTracker, parseTableWrites, relayTableWrites } from './query-cache/index.ts';
export type { QueryCacheOptions, QueryCacheStore, OpenWriteChannel, TableWrites, WriteOrigin } from './query-cache/index.ts';
export { batchInsert, BatchWriteError, MAX_PARAMETERS, copyRows } from './batch/index.ts';
export type { BatchProgress, BatchWriteOptions } from './batch/index.ts';
export { adviseIndexes, adviseSlowQueries, indexHealth } from './advisor/index.ts';
export type { AdviceReport, AdviseOptions, IndexSuggestion, IndexHealthReport, SlowQueryAdvice, WorkloadAdvice, WorkloadIndex } from './advisor/index.ts';
export { PoolTimeoutError } from './pool/index.ts';
export type { PoolStats, Percentiles } from './pool/index.ts';
export type { PoolOptions } from './open.ts';
export { dbAdminRoutes } from './admin-routes.ts';
