export { batchInsert, BatchWriteError, MAX_PARAMETERS } from './batch-writer.ts';
export type { BatchProgress, BatchWriteOptions } from './batch-writer.ts';
export { copyRows } from './copy.ts';
