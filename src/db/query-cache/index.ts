export { QueryCache } from './query-cache.ts';
export type { QueryCacheOptions, QueryCacheStore } from './query-cache.ts';
export { WriteTracker } from './write-tracker.ts';
