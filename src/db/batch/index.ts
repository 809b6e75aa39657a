export { batchInsert, BatchWriteError, MAX_PARAMETERS } from './batch-writer.ts';
export type { BatchProgress, BatchWriteOptions } from './batch-writer.ts';
export { copyRows } from './copy.ts';
export { copyText } from './copy-text.ts';
export type { CopyValue } from './copy-text.ts';
