export { SlowQueryLog } from './slow-query-log.ts';
export type { QueryStats, SlowQueryLogOptions } from './slow-query-log.ts';
export { normalizeSql, tablesOf, fingerprintOf } from './fingerprint.ts';
