export { runBulkPartial, runBulkAtomic, BulkAbortedError, type BulkOutcome, type BulkItemResult, type BulkOptions, type TransactionRunner } from './bulk.ts';
export { batchPlugin, type BatchPluginOptions, type BatchResponse } from './batch-plugin.ts';
export { parseBatch, type BatchSubRequest } from './batch-request.ts';
export { idempotencyPlugin, type IdempotencyOptions } from './idempotency-plugin.ts';
export {
  MemoryIdempotencyStore,
  RedisIdempotencyStore,
  type IdempotencyStore,
  type StoredResponse,
  type IdempotencyRecord,
  type BeginResult,
} from './idempotency-store.ts';
