export type {
  Config,
  BackupConfig,
  MailConfig,
  DatabaseConfig,
  RedisConfig,
  LogLevel,
  SqliteSynchronous,
  DocumentsConfig,
  EmbeddingsConfig,
  EmbeddingsProvider,
} from './schema.ts';
export { loadConfig, describeConfig } from './load.ts';
