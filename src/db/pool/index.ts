export { PoolMonitor, PoolTimeoutError } from './pool-monitor.ts';
export type { PoolStats, Percentiles } from './pool-monitor.ts';
export { instrumentPgPool } from './postgres-pool.ts';
export { serverActivity, type ServerActivity } from './server-activity.ts';
