export { QueryCache } from './query-cache.ts';
export type { QueryCacheOptions, QueryCacheStore } from './query-cache.ts';
export { WriteTracker, type WriteOrigin } from './write-tracker.ts';
export { parseTableWrites, relayTableWrites, type OpenWriteChannel, type TableWrites } from './write-relay.ts';
