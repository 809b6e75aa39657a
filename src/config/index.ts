export type { Config, DatabaseConfig, RedisConfig, LogLevel, SqliteSynchronous } from './schema.ts';
export { loadConfig, describeConfig } from './load.ts';
