/** The one typed view of AI Stack's settings. Defaults are the embedded ones: nothing installed, nothing configured. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export type SqliteSynchronous = 'full' | 'normal';

export type DatabaseConfig =
  | {
    kind: 'sqlite';
    file: string;
    /**
     * When a commit reaches the disk. `full` (default) fsyncs the WAL on every commit, so an acknowledged
     * write survives a power cut, as PostgreSQL's default does; `normal` survives an application crash
     * but may lose the last commits on power loss or an OS crash, for several times cheaper commits.
     */
    synchronous?: SqliteSynchronous;
  }
  | { kind: 'postgres'; url: string; poolSize: number };

export interface RedisConfig {
  url: string;
  /** Prefix for every key AI Stack writes, so several deployments can share one Redis. */
  keyPrefix: string;
}

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** /readyz fails when the data dir has less free space than this (bytes). */
  minFreeDiskBytes: number;
  database: DatabaseConfig;
  redis: RedisConfig | null;
  /**
   * `AI_STACK_SQLITE_SYNCHRONOUS` for every embedded SQLite file AI Stack writes: the database (when SQLite)
   * and the embedded task queue (whenever REDIS_URL is unset, whatever the database), so an acknowledged
   * `delay()` is as durable as an acknowledged database write.
   */
  sqliteSynchronous: SqliteSynchronous;
  /** Optional bootstrap admin key; when unset and no key exists, start-up generates one and prints it once. */
  adminKey: string | undefined;
  logLevel: LogLevel;
  slowQueries: {
    /** Statements at or above this many ms are logged and listed as slow. */
    thresholdMs: number;
    /** Tables whose parameter values may appear in slow-query samples; all others are redacted to their type. */
    allowParametersFor: string[];
  };
  http: {
    bodyLimitBytes: number;
    /** How long SIGTERM waits for in-flight requests before closing connections. */
    shutdownTimeoutMs: number;
    /** Default API rate limit per key (or client address), requests per minute. */
    rateLimitPerMinute: number;
    /** What the limiter does when Redis fails: an in-process insurance limiter, let requests through, or refuse them. */
    rateLimitOnStoreError: 'insurance' | 'open' | 'closed';
    /** Signs keyset-pagination cursors; every node behind one load balancer needs the same one. Unset: random per process. */
    cursorSecret: string | undefined;
    /** Trust X-Forwarded-For/-Proto/-Host from a reverse proxy: client addresses and Secure session cookies behind TLS. */
    trustProxy: boolean;
  };
}
