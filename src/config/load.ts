import path from 'node:path';
import { ConfigError, type FieldIssue } from '../shared/errors.ts';
import type { Config, DatabaseConfig, EmbeddingsProvider, LogLevel, RedisConfig } from './schema.ts';

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MIN_ADMIN_KEY_LENGTH = 24;

/**
 * Reads the environment once and returns a validated Config. Every problem is collected, so one start-up
 * attempt reports all bad variables, each named, instead of failing on them one at a time.
 */
export function loadConfig(env: Env = process.env): Config {
  const issues: FieldIssue[] = [];
  const read = <T>(name: string, parse: (raw: string) => T, fallback: T): T => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    try {
      return parse(raw.trim());
    } catch (error) {
      issues.push({ field: name, message: error instanceof Error ? error.message : String(error) });
      return fallback;
    }
  };

  const dataDir = path.resolve(read('AI_STACK_DATA_DIR', (v) => v, './data'));
  const config: Config = {
    port: read('PORT', (v) => integer(v, 0, 65_535), 3000),
    host: read('HOST', hostName, '127.0.0.1'),
    dataDir,
    minFreeDiskBytes: read('AI_STACK_MIN_FREE_DISK_MB', (v) => integer(v, 0, 1_000_000), 100) * 1_048_576,
    database: read('DATABASE_URL', (v) => databaseUrl(v, env), { kind: 'sqlite', file: path.join(dataDir, 'ai-stack.db') }),
    redis: read('REDIS_URL', (v) => redisUrl(v, env), null),
    sqliteSynchronous: 'full',
    adminKey: read('AI_STACK_ADMIN_KEY', adminKey, undefined),
    logLevel: read('LOG_LEVEL', (v) => oneOf(v.toLowerCase(), LOG_LEVELS), 'info'),
    slowQueries: {
      thresholdMs: read('AI_STACK_SLOW_QUERY_MS', (v) => integer(v, 0, 3_600_000), 100),
      allowParametersFor: read('AI_STACK_SLOW_QUERY_PARAMETERS', tableList, []),
    },
    documents: {
      uploadMaxBytes: read('AI_STACK_UPLOAD_MAX_BYTES', (v) => integer(v, 1, 1024 ** 4), 100 * 1024 * 1024),
      blobUrl: read('AI_STACK_BLOB_URL', blobUrl, undefined),
      retentionDays: read('AI_STACK_DOCUMENT_RETENTION_DAYS', (v) => integer(v, 0, 36_500), 0),
      failedRetentionDays: read('AI_STACK_DOCUMENT_FAILED_RETENTION_DAYS', (v) => integer(v, 0, 36_500), 30),
      deletedGraceDays: read('AI_STACK_DOCUMENT_DELETED_GRACE_DAYS', (v) => integer(v, 0, 36_500), 7),
      extractTimeoutMs: read('AI_STACK_EXTRACT_TIMEOUT_MS', (v) => integer(v, 100, 3_600_000), 120_000),
      extractMemoryMb: read('AI_STACK_EXTRACT_MEMORY_MB', (v) => integer(v, 32, 16_384), 512),
      extractMaxPages: read('AI_STACK_EXTRACT_MAX_PAGES', (v) => integer(v, 1, 1_000_000), 5000),
    },
    embeddings: {
      provider: read(
        'AI_STACK_EMBEDDINGS_PROVIDER',
        (v) => oneOf<EmbeddingsProvider>(v.toLowerCase(), ['hashing', 'openai', 'onnx']),
        env.AI_STACK_EMBEDDINGS_URL?.trim() ? 'openai' : env.AI_STACK_EMBEDDINGS_MODEL_DIR?.trim() ? 'onnx' : 'hashing',
      ),
      url: read('AI_STACK_EMBEDDINGS_URL', httpUrl, undefined),
      apiKey: read('AI_STACK_EMBEDDINGS_API_KEY', (v) => v, undefined),
      model: read('AI_STACK_EMBEDDINGS_MODEL', (v) => v.slice(0, 200), 'hashing-ngram-v1'),
      dimensions: read('AI_STACK_EMBEDDINGS_DIMENSIONS', (v) => integer(v, 2, 16_384), undefined),
      batchSize: read('AI_STACK_EMBEDDINGS_BATCH_SIZE', (v) => integer(v, 1, 2048), 64),
      maxRetries: read('AI_STACK_EMBEDDINGS_MAX_RETRIES', (v) => integer(v, 0, 20), 5),
      modelDir: read('AI_STACK_EMBEDDINGS_MODEL_DIR', (v) => path.resolve(v), undefined),
    },
    mail: {
      smtpUrl: read('AI_STACK_SMTP_URL', smtpUrl, null),
      from: read('AI_STACK_MAIL_FROM', mailbox, 'AI Stack <noreply@localhost>'),
      publicUrl: read('AI_STACK_PUBLIC_URL', httpUrl, null),
      secret: read('AI_STACK_MAIL_SECRET', secret, undefined),
      ratePerDomainPerSecond: read('AI_STACK_MAIL_RATE_PER_DOMAIN', (v) => integer(v, 1, 100_000), 20),
      retryBaseMs: read('AI_STACK_MAIL_RETRY_BASE_MS', (v) => integer(v, 1, 3_600_000), 30_000),
      maxAttempts: read('AI_STACK_MAIL_MAX_ATTEMPTS', (v) => integer(v, 1, 100), 8),
      leaseMs: read('AI_STACK_MAIL_LEASE_MS', (v) => integer(v, 1000, 3_600_000), 120_000),
    },
    backup: {
      dir: read('AI_STACK_BACKUP_DIR', (v) => path.resolve(v), path.join(dataDir, 'backups')),
      cron: read('AI_STACK_BACKUP_CRON', cronOrOff, '30 2 * * *'),
      keepDaily: read('AI_STACK_BACKUP_KEEP_DAILY', (v) => integer(v, 0, 3650), 7),
      keepWeekly: read('AI_STACK_BACKUP_KEEP_WEEKLY', (v) => integer(v, 0, 520), 4),
      keepMonthly: read('AI_STACK_BACKUP_KEEP_MONTHLY', (v) => integer(v, 0, 1200), 12),
    },
    outbound: { allow: read('AI_STACK_OUTBOUND_ALLOW', allowList, []) },
    sync: { credentialsKey: read('AI_STACK_SYNC_KEY', aes256Key, undefined) },
    http: {
      bodyLimitBytes: read('AI_STACK_BODY_LIMIT_BYTES', (v) => integer(v, 1024, 1024 * 1024 * 1024), 1024 * 1024),
      shutdownTimeoutMs: read('AI_STACK_SHUTDOWN_TIMEOUT_MS', (v) => integer(v, 0, 600_000), 10_000),
      rateLimitPerMinute: read('AI_STACK_RATE_LIMIT_PER_MINUTE', (v) => integer(v, 1, 10_000_000), 1200),
      cursorSecret: read('AI_STACK_CURSOR_SECRET', secret, undefined),
      trustProxy: read('AI_STACK_TRUST_PROXY', (v) => oneOf(v.toLowerCase(), ['true', 'false'] as const) === 'true', false),
      assetBaseUrl: read('AI_STACK_ASSET_BASE_URL', httpUrl, null),
      rateLimitOnStoreError: read('AI_STACK_RATE_LIMIT_ON_REDIS_ERROR', (v) => oneOf(v, ['insurance', 'open', 'closed'] as const), 'insurance'),
    },
  };
  // Both are validated whichever database is chosen, so a typo never waits for the day the other one is used.
  const poolSize = read('AI_STACK_DB_POOL_SIZE', (v) => integer(v, 1, 1000), 10);
  const synchronous = read('AI_STACK_SQLITE_SYNCHRONOUS', (v) => oneOf(v.toLowerCase(), ['full', 'normal'] as const), 'full');
  config.sqliteSynchronous = synchronous;
  if (config.database.kind === 'postgres') config.database.poolSize = poolSize;
  else config.database.synchronous = synchronous;
  if (config.embeddings.provider === 'openai' && config.embeddings.model === 'hashing-ngram-v1')
    issues.push({
      field: 'AI_STACK_EMBEDDINGS_MODEL',
      message: "name the server's model (e.g. text-embedding-3-small, nomic-embed-text) with an OpenAI-compatible provider",
    });
  if (config.embeddings.provider === 'openai' && !config.embeddings.url)
    issues.push({ field: 'AI_STACK_EMBEDDINGS_URL', message: 'is required with AI_STACK_EMBEDDINGS_PROVIDER=openai' });
  if (config.embeddings.provider === 'onnx' && !config.embeddings.modelDir)
    issues.push({ field: 'AI_STACK_EMBEDDINGS_MODEL_DIR', message: 'is required with AI_STACK_EMBEDDINGS_PROVIDER=onnx' });
  const { keepDaily, keepWeekly, keepMonthly } = config.backup;
  if (keepDaily + keepWeekly + keepMonthly === 0)
    issues.push({ field: 'AI_STACK_BACKUP_KEEP_DAILY', message: 'with KEEP_WEEKLY and KEEP_MONTHLY also 0 every backup would be deleted; keep at least one' });
  if (issues.length > 0) {
    const lines = issues.map((i) => `  ${i.field}: ${i.message}`).join('\n');
    throw new ConfigError(`Invalid configuration:\n${lines}`, issues);
  }
  return config;
}

/** The effective configuration with secrets masked, for `ai-stack doctor` and start-up logs. */
export function describeConfig(config: Config): Record<string, string> {
  const db = config.database;
  return {
    PORT: String(config.port),
    HOST: config.host,
    AI_STACK_DATA_DIR: config.dataDir,
    AI_STACK_MIN_FREE_DISK_MB: String(config.minFreeDiskBytes / 1_048_576),
    DATABASE_URL: db.kind === 'sqlite' ? `(unset: SQLite file ${db.file})` : maskUrl(db.url),
    AI_STACK_SQLITE_SYNCHRONOUS: config.sqliteSynchronous,
    AI_STACK_DB_POOL_SIZE: db.kind === 'postgres' ? String(db.poolSize) : '(unused with SQLite)',
    REDIS_URL: config.redis
      ? (config.redis.clusterSeeds ?? [config.redis.url]).map(maskUrl).join(',')
      : '(unset: in-process cache, rate limits and SQLite task queue)',
    REDIS_CLUSTER: config.redis?.clusterSeeds ? `1 (Cluster, ${config.redis.clusterSeeds.length} seed node(s))` : '(unset: one Redis server)',
    AI_STACK_REDIS_PREFIX: config.redis ? config.redis.keyPrefix : '(unused without REDIS_URL)',
    AI_STACK_ADMIN_KEY: config.adminKey ? `${config.adminKey.slice(0, 4)}…(masked)` : '(unset)',
    AI_STACK_CURSOR_SECRET: config.http.cursorSecret ? '(set, masked)' : '(unset: random per process)',
    AI_STACK_SMTP_URL: config.mail.smtpUrl ? maskUrl(config.mail.smtpUrl) : '(unset: .eml files in <data dir>/outbox)',
    AI_STACK_MAIL_FROM: config.mail.from,
    AI_STACK_PUBLIC_URL: config.mail.publicUrl ?? '(unset: no List-Unsubscribe header)',
    AI_STACK_MAIL_SECRET: config.mail.secret ? '(set, masked)' : '(unset: random per process)',
    AI_STACK_MAIL_RATE_PER_DOMAIN: String(config.mail.ratePerDomainPerSecond),
    AI_STACK_MAIL_RETRY_BASE_MS: String(config.mail.retryBaseMs),
    AI_STACK_MAIL_MAX_ATTEMPTS: String(config.mail.maxAttempts),
    AI_STACK_MAIL_LEASE_MS: String(config.mail.leaseMs),
    AI_STACK_BACKUP_DIR: config.backup.dir,
    AI_STACK_BACKUP_CRON: config.backup.cron ?? 'off (not scheduled)',
    AI_STACK_BACKUP_KEEP_DAILY: String(config.backup.keepDaily),
    AI_STACK_BACKUP_KEEP_WEEKLY: String(config.backup.keepWeekly),
    AI_STACK_BACKUP_KEEP_MONTHLY: String(config.backup.keepMonthly),
    AI_STACK_OUTBOUND_ALLOW: config.outbound.allow.join(',') || '(unset: no private address is reachable)',
    AI_STACK_SYNC_KEY: config.sync.credentialsKey ? '(set, masked)' : '(unset: sync sources cannot store credentials)',
    AI_STACK_TRUST_PROXY: String(config.http.trustProxy),
    AI_STACK_ASSET_BASE_URL: config.http.assetBaseUrl ?? '(unset: the console loads its assets from this service)',
    LOG_LEVEL: config.logLevel,
    AI_STACK_SLOW_QUERY_MS: String(config.slowQueries.thresholdMs),
    AI_STACK_SLOW_QUERY_PARAMETERS: config.slowQueries.allowParametersFor.join(',') || '(unset: every parameter redacted)',
    AI_STACK_BODY_LIMIT_BYTES: String(config.http.bodyLimitBytes),
    AI_STACK_SHUTDOWN_TIMEOUT_MS: String(config.http.shutdownTimeoutMs),
    AI_STACK_RATE_LIMIT_PER_MINUTE: String(config.http.rateLimitPerMinute),
    AI_STACK_RATE_LIMIT_ON_REDIS_ERROR: config.http.rateLimitOnStoreError,
    AI_STACK_UPLOAD_MAX_BYTES: String(config.documents.uploadMaxBytes),
    AI_STACK_BLOB_URL: config.documents.blobUrl ? maskUrl(config.documents.blobUrl) : `(unset: files under ${config.dataDir}/blobs)`,
    AI_STACK_DOCUMENT_RETENTION_DAYS: config.documents.retentionDays === 0 ? '0 (kept forever)' : String(config.documents.retentionDays),
    AI_STACK_EMBEDDINGS_PROVIDER: config.embeddings.provider,
    AI_STACK_EMBEDDINGS_URL: config.embeddings.url ? maskUrl(config.embeddings.url) : '(unset)',
    AI_STACK_EMBEDDINGS_MODEL: config.embeddings.model,
    AI_STACK_EMBEDDINGS_API_KEY: config.embeddings.apiKey ? '(set, masked)' : '(unset)',
    AI_STACK_EMBEDDINGS_DIMENSIONS: config.embeddings.dimensions === undefined ? '(model default)' : String(config.embeddings.dimensions),
    AI_STACK_EMBEDDINGS_BATCH_SIZE: String(config.embeddings.batchSize),
    AI_STACK_EMBEDDINGS_MAX_RETRIES: String(config.embeddings.maxRetries),
    AI_STACK_EMBEDDINGS_MODEL_DIR: config.embeddings.modelDir ?? '(unset)',
    AI_STACK_DOCUMENT_FAILED_RETENTION_DAYS: String(config.documents.failedRetentionDays),
    AI_STACK_DOCUMENT_DELETED_GRACE_DAYS: String(config.documents.deletedGraceDays),
    AI_STACK_EXTRACT_TIMEOUT_MS: String(config.documents.extractTimeoutMs),
    AI_STACK_EXTRACT_MEMORY_MB: String(config.documents.extractMemoryMb),
    AI_STACK_EXTRACT_MAX_PAGES: String(config.documents.extractMaxPages),
  };
}

function maskUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '***';
  }
}

function integer(raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new Error(`must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new Error(`must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** Comma-separated table names (the slow-query log's parameter allow-list). */
function tableList(raw: string): string[] {
  const tables = raw
    .split(',')
    .map((table) => table.trim())
    .filter((table) => table !== '');
  const bad = tables.find((table) => !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table));
  if (bad !== undefined) throw new Error(`must be comma-separated table names, got "${bad.slice(0, 80)}"`);
  return tables;
}

function hostName(raw: string): string {
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(raw)) throw new Error(`is not a host name or IP address: "${raw}"`);
  return raw;
}

function databaseUrl(raw: string, env: Env = {}): DatabaseConfig {
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\//, '');
    if (file === '') throw new Error('sqlite: URL needs a file path, e.g. sqlite:./data/ai-stack.db');
    return { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(file) };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('is not a URL; use postgres://user@host:5432/db or sqlite:<file>');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(`unsupported scheme "${url.protocol}"; use postgres:// or sqlite:`);
  }
  if (url.pathname.length <= 1) throw new Error('must name a database, e.g. postgres://127.0.0.1:5432/test');
  // Without a user in the URL the PostgreSQL client falls back to PGUSER or the login name; with neither
  // the server's answer ("no PostgreSQL user name specified in startup packet") would be all we could show.
  if (url.username === '' && !env.PGUSER && !env.USER && !env.LOGNAME)
    throw new Error('names no user and neither PGUSER nor USER is set; put one in the URL, e.g. postgres://app@127.0.0.1:5432/db');
  return { kind: 'postgres', url: raw, poolSize: 10 };
}

function redisUrl(raw: string, env: Env): RedisConfig {
  // Several comma-separated URLs are a Redis Cluster's seed nodes; REDIS_CLUSTER=1 says one URL is a Cluster too.
  const urls = raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  for (const part of urls) {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw new Error(`is not a URL ("${part.slice(0, 60)}"); use redis://host:6379, rediss://host:6380 or a comma-separated list of Cluster nodes`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`unsupported scheme "${url.protocol}"; use redis:// or rediss://`);
  }
  const first = urls[0];
  if (first === undefined) throw new Error('is empty; use redis://host:6379');
  const clusterFlag = env.REDIS_CLUSTER?.trim();
  if (clusterFlag !== undefined && clusterFlag !== '' && !['0', '1', 'true', 'false'].includes(clusterFlag))
    throw new Error(`REDIS_CLUSTER must be 1 or 0, got "${clusterFlag.slice(0, 20)}"`);
  const cluster = urls.length > 1 || clusterFlag === '1' || clusterFlag === 'true';
  const keyPrefix = env.AI_STACK_REDIS_PREFIX?.trim() || 'ai-stack';
  return { url: first, keyPrefix, ...(cluster ? { clusterSeeds: urls } : {}) };
}

function blobUrl(raw: string): string {
  if (!/^(s3|file):\/\/./.test(raw)) throw new Error('must be s3://[KEY:SECRET@]bucket[/prefix][?endpoint=http://host:port] or file:///path');
  return raw;
}

function smtpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('is not a URL; use smtp://user:pass@host:587 or smtps://user:pass@host:465');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error(`unsupported scheme "${url.protocol}"; use smtp:// or smtps://`);
  if (url.hostname === '') throw new Error('must name a host');
  return raw;
}

function httpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('is not a URL, e.g. https://ai-stack.example.com');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported scheme "${url.protocol}"; use http:// or https://`);
  return raw.replace(/\/+$/, '');
}

/** `Name <addr@host>` or `addr@host`. */
function mailbox(raw: string): string {
  if (!/^([^<>\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+)$/.test(raw))
    throw new Error(`is not a mailbox like "AI Stack <noreply@example.com>": "${raw.slice(0, 80)}"`);
  return raw;
}

/** A 5-field cron expression (minute hour day month weekday), or `off`. The scheduler parses it fully; this catches typos at start-up. */
function cronOrOff(raw: string): string | null {
  if (raw.toLowerCase() === 'off') return null;
  const fields = raw.split(/\s+/);
  if (fields.length !== 5 || !fields.every((f) => /^[\d*/,\-A-Za-z]+$/.test(f)))
    throw new Error(`must be a 5-field cron expression like "30 2 * * *" or "off", got "${raw.slice(0, 80)}"`);
  return raw;
}

/** Comma-separated host names, IP addresses and CIDR ranges. */
function allowList(raw: string): string[] {
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const bad = entries.find((e) => !/^[A-Za-z0-9.\-:]+(\/\d{1,3})?$/.test(e));
  if (bad !== undefined) throw new Error(`must be comma-separated host names, IP addresses or CIDR ranges, got "${bad.slice(0, 80)}"`);
  return entries;
}

function secret(raw: string): string {
  if (raw.length < 32) throw new Error('must be at least 32 characters (use a random secret)');
  return raw;
}

/** 32 random bytes as 64 hex digits or base64 (`openssl rand -hex 32`). */
function aes256Key(raw: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : /^[A-Za-z0-9+/]{43}=?$/.test(raw) ? Buffer.from(raw, 'base64') : undefined;
  if (key?.length !== 32) throw new Error('must be 32 random bytes as 64 hex digits or base64 (e.g. `openssl rand -hex 32`)');
  return key;
}

function adminKey(raw: string): string {
  if (raw.length < MIN_ADMIN_KEY_LENGTH) throw new Error(`must be at least ${MIN_ADMIN_KEY_LENGTH} characters (use a random secret)`);
  if (/\s/.test(raw)) throw new Error('must not contain whitespace');
  return raw;
}
