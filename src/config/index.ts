export type { Config, DatabaseConfig, RedisConfig, LogLevel } from './schema.ts';
export { loadConfig, describeConfig } from './load.ts';
