export type { Config, MailConfig, DatabaseConfig, RedisConfig, LogLevel, SqliteSynchronous } from './schema.ts';
export { loadConfig, describeConfig } from './load.ts';
