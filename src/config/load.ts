import path from 'node:path';
import { ConfigError, type FieldIssue } from '../shared/errors.ts';
import type { Config, DatabaseConfig, LogLevel, RedisConfig } from './schema.ts';

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
    http: {
      bodyLimitBytes: read('AI_STACK_BODY_LIMIT_BYTES', (v) => integer(v, 1024, 1024 * 1024 * 1024), 1024 * 1024),
      shutdownTimeoutMs: read('AI_STACK_SHUTDOWN_TIMEOUT_MS', (v) => integer(v, 0, 600_000), 10_000),
      rateLimitPerMinute: read('AI_STACK_RATE_LIMIT_PER_MINUTE', (v) => integer(v, 1, 10_000_000), 1200),
      cursorSecret: read('AI_STACK_CURSOR_SECRET', secret, undefined),
      trustProxy: read('AI_STACK_TRUST_PROXY', (v) => oneOf(v.toLowerCase(), ['true', 'false'] as const) === 'true', false),
      rateLimitOnStoreError: read('AI_STACK_RATE_LIMIT_ON_REDIS_ERROR', (v) => oneOf(v, ['insurance', 'open', 'closed'] as const), 'insurance'),
    },
  };
  // Both are validated whichever database is chosen, so a typo never waits for the day the other one is used.
  const poolSize = read('AI_STACK_DB_POOL_SIZE', (v) => integer(v, 1, 1000), 10);
  const synchronous = read('AI_STACK_SQLITE_SYNCHRONOUS', (v) => oneOf(v.toLowerCase(), ['full', 'normal'] as const), 'full');
  config.sqliteSynchronous = synchronous;
  if (config.database.kind === 'postgres') config.database.poolSize = poolSize;
  else config.database.synchronous = synchronous;
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
    REDIS_URL: config.redis ? maskUrl(config.redis.url) : '(unset: in-process cache, rate limits and SQLite task queue)',
    AI_STACK_REDIS_PREFIX: config.redis ? config.redis.keyPrefix : '(unused without REDIS_URL)',
    AI_STACK_ADMIN_KEY: config.adminKey ? `${config.adminKey.slice(0, 4)}…(masked)` : '(unset)',
    AI_STACK_CURSOR_SECRET: config.http.cursorSecret ? '(set, masked)' : '(unset: random per process)',
    AI_STACK_TRUST_PROXY: String(config.http.trustProxy),
    LOG_LEVEL: config.logLevel,
    AI_STACK_SLOW_QUERY_MS: String(config.slowQueries.thresholdMs),
    AI_STACK_SLOW_QUERY_PARAMETERS: config.slowQueries.allowParametersFor.join(',') || '(unset: every parameter redacted)',
    AI_STACK_BODY_LIMIT_BYTES: String(config.http.bodyLimitBytes),
    AI_STACK_SHUTDOWN_TIMEOUT_MS: String(config.http.shutdownTimeoutMs),
    AI_STACK_RATE_LIMIT_PER_MINUTE: String(config.http.rateLimitPerMinute),
    AI_STACK_RATE_LIMIT_ON_REDIS_ERROR: config.http.rateLimitOnStoreError,
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
  const tables = raw.split(',').map((table) => table.trim()).filter((table) => table !== '');
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
  if (url.username === '' && !env.PGUSER && !env.USER && !env.LOGNAME) throw new Error('names no user and neither PGUSER nor USER is set; put one in the URL, e.g. postgres://app@127.0.0.1:5432/db');
  return { kind: 'postgres', url: raw, poolSize: 10 };
}

function redisUrl(raw: string, env: Env): RedisConfig {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('is not a URL; use redis://host:6379 or rediss://host:6380');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`unsupported scheme "${url.protocol}"; use redis:// or rediss://`);
  const keyPrefix = env.AI_STACK_REDIS_PREFIX?.trim() || 'ai-stack';
  return { url: raw, keyPrefix };
}

function secret(raw: string): string {
  if (raw.length < 32) throw new Error('must be at least 32 characters (use a random secret)');
  return raw;
}

function adminKey(raw: string): string {
  if (raw.length < MIN_ADMIN_KEY_LENGTH) throw new Error(`must be at least ${MIN_ADMIN_KEY_LENGTH} characters (use a random secret)`);
  if (/\s/.test(raw)) throw new Error('must not contain whitespace');
  return raw;
}
