/**
 * BullMQ's queue backend on SQLite (`node:sqlite`): the same Queue, Worker, FlowProducer,
 * QueueEvents, job schedulers and Bull Board, with one database file instead of Redis.
 * Built against bullmq 6.7.0 (pinned exactly in package.json).
 */
export { SqliteQueueBackend } from './backend.ts';
export { createSqliteQueueBackendFactory, type SqliteQueueBackendFactory, type SqliteQueueBackendOptions } from './factory.ts';
export { createSqliteTaskBackend, type SqliteTaskBackendOptions } from './task-backend.ts';
export { createSqliteTaskStore } from './task-store.ts';
