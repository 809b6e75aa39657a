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
  /** The (first) server's URL. */
  url: string;
  /** Set for a Redis Cluster: every seed node given (`REDIS_URL=redis://a:7000,redis://b:7001` or `REDIS_CLUSTER=1`). */
  clusterSeeds?: string[];
  /** Prefix for every key AI Stack writes, so several deployments can share one Redis. */
  keyPrefix: string;
}

export type EmbeddingsProvider = 'hashing' | 'openai' | 'onnx';

export interface DocumentsConfig {
  /** Largest accepted upload, enforced while the bytes stream in. */
  uploadMaxBytes: number;
  /** `s3://…` or `file://…` for the blob store; unset: content-addressed files under `<dataDir>/blobs`. */
  blobUrl: string | undefined;
  /** Ready documents older than this many days are removed by `cleanup_old_documents`; 0 keeps them forever. */
  retentionDays: number;
  /** Failed uploads are removed after this many days. */
  failedRetentionDays: number;
  /** Soft-deleted documents are purged after this many days. */
  deletedGraceDays: number;
  /** Hard limits of one extraction (its own process): wall time and old-generation heap. */
  extractTimeoutMs: number;
  extractMemoryMb: number;
  /** PDFs (and presentations) with more pages are refused. */
  extractMaxPages: number;
}

export interface EmbeddingsConfig {
  provider: EmbeddingsProvider;
  /** OpenAI-compatible base URL (`…/v1`), for provider `openai`. */
  url: string | undefined;
  apiKey: string | undefined;
  model: string;
  /** Vector size; for `hashing` the feature-space size, for `openai` sent as `dimensions` when set. */
  dimensions: number | undefined;
  batchSize: number;
  maxRetries: number;
  /** Directory of a local ONNX model (`model.onnx` + `tokenizer.json`), for provider `onnx`. */
  modelDir: string | undefined;
}

/** Outgoing mail (src/mail). */
export interface MailConfig {
  /** smtp[s]://user:pass@host:port; null = the embedded outbox folder of `.eml` files in the data dir. */
  smtpUrl: string | null;
  /** Default From: header, e.g. `AI Stack <noreply@example.com>`. */
  from: string;
  /** Base URL the public unsubscribe link points at (List-Unsubscribe); unset = no List-Unsubscribe header. */
  publicUrl: string | null;
  /** Signs unsubscribe tokens; every node needs the same one. Unset: random per process (links die on restart). */
  secret: string | undefined;
  /** At most this many messages per second to one recipient domain, per delivering process. */
  ratePerDomainPerSecond: number;
  /** First retry delay after a temporary failure (4xx, connection error); doubles per attempt. */
  retryBaseMs: number;
  /** Delivery attempts before a temporarily failing message is given up. */
  maxAttempts: number;
  /** How long a claimed outbox row belongs to its sender; after a crash it is sent again once this passed. */
  leaseMs: number;
}

/** Backups (src/backup): where they go, when Beat takes one, and how many are kept. */
export interface BackupConfig {
  /** Directory of backups, one sub-directory each; put it on another disk than the data dir. */
  dir: string;
  /** When Beat runs `sync.backup_data` (5-field cron, UTC); null = not scheduled. */
  cron: string | null;
  /** Retention: the newest backup of each of the last N days, ISO weeks and months is kept; older ones are deleted. */
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
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
  documents: DocumentsConfig;
  embeddings: EmbeddingsConfig;
  slowQueries: {
    /** Statements at or above this many ms are logged and listed as slow. */
    thresholdMs: number;
    /** Tables whose parameter values may appear in slow-query samples; all others are redacted to their type. */
    allowParametersFor: string[];
  };
  mail: MailConfig;
  backup: BackupConfig;
  /** Calls to user-supplied URLs (alert webhooks): private addresses reachable only when listed here (hosts, IPs, CIDRs). */
  outbound: { allow: string[] };
  /** External data sync: the AES-256-GCM key sealing sources' credentials (AI_STACK_SYNC_KEY); unset: credentials are refused. */
  sync: { credentialsKey: Buffer | undefined };
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
    /** Where the console's hashed assets are served from (a CDN mirroring web/dist/assets); null = this service. */
    assetBaseUrl: string | null;
  };
}
