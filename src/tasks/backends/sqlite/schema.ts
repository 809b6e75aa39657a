/**
 * Tables of the SQLite queue backend. One file can hold many queues: every row carries the queue's
 * qualified name (`<prefix>:<queue>`), as a Redis key would.
 *
 * Job state lives in one `jobs` table with a `state` column and partial indexes per state (the shape
 * BullMQ's own PostgreSQL backend uses), so a state change is a single-row UPDATE, never a move
 * between tables, and each poll reads only the small partial index of its state.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS jobs (
  queue TEXT NOT NULL,
  id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  data TEXT NOT NULL,
  opts TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  delay INTEGER NOT NULL DEFAULT 0,
  attempts_made INTEGER NOT NULL DEFAULT 0,
  attempts_started INTEGER NOT NULL DEFAULT 0,
  progress TEXT,
  returnvalue TEXT,
  failed_reason TEXT,
  stacktrace TEXT,
  deferred_failure TEXT,
  processed_by TEXT,
  timestamp INTEGER NOT NULL,
  process_at INTEGER,
  processed_on INTEGER,
  finished_on INTEGER,
  lock_token TEXT,
  locked_until INTEGER,
  stalled_counter INTEGER NOT NULL DEFAULT 0,
  dedup_id TEXT,
  repeat_job_key TEXT,
  parent TEXT,
  parent_key TEXT,
  pending_deps INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (queue, id)
);
CREATE INDEX IF NOT EXISTS jobs_wait ON jobs (queue, priority, seq) WHERE state = 'wait';
CREATE INDEX IF NOT EXISTS jobs_delayed ON jobs (queue, process_at) WHERE state = 'delayed';
CREATE INDEX IF NOT EXISTS jobs_active ON jobs (queue, locked_until) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS jobs_completed ON jobs (queue, finished_on, seq) WHERE state = 'completed';
CREATE INDEX IF NOT EXISTS jobs_failed ON jobs (queue, finished_on, seq) WHERE state = 'failed';
CREATE INDEX IF NOT EXISTS jobs_waiting_children ON jobs (queue, seq) WHERE state = 'waiting-children';
CREATE TABLE IF NOT EXISTS deps (
  parent_queue TEXT NOT NULL,
  parent_id TEXT NOT NULL,
  child_key TEXT NOT NULL,
  child_queue TEXT NOT NULL,
  child_id TEXT NOT NULL,
  status TEXT NOT NULL,
  value TEXT,
  PRIMARY KEY (parent_queue, parent_id, child_key)
);
CREATE INDEX IF NOT EXISTS deps_child ON deps (child_queue, child_id);
CREATE TABLE IF NOT EXISTS logs (
  queue TEXT NOT NULL,
  job_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  row TEXT NOT NULL,
  PRIMARY KEY (queue, job_id, idx)
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  fields TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_queue ON events (queue, id);
CREATE TABLE IF NOT EXISTS meta (
  queue TEXT NOT NULL,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (queue, field)
);
CREATE TABLE IF NOT EXISTS counters (
  queue TEXT NOT NULL,
  name TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (queue, name)
);
CREATE TABLE IF NOT EXISTS rate_limit (
  queue TEXT PRIMARY KEY,
  points INTEGER NOT NULL,
  expire_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dedup (
  queue TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  expire_at INTEGER,
  PRIMARY KEY (queue, dedup_id)
);
-- keepLastIfActive: the latest job deduplicated while the slot's job was active, added when that job finishes.
CREATE TABLE IF NOT EXISTS dedup_next (
  queue TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  job TEXT NOT NULL,
  PRIMARY KEY (queue, dedup_id)
);
CREATE TABLE IF NOT EXISTS schedulers (
  queue TEXT NOT NULL,
  id TEXT NOT NULL,
  name TEXT,
  next_millis INTEGER,
  pattern TEXT,
  every INTEGER,
  tz TEXT,
  start_date INTEGER,
  end_date INTEGER,
  limit_count INTEGER,
  ic INTEGER NOT NULL DEFAULT 1,
  offset_ms INTEGER,
  template_data TEXT,
  template_opts TEXT,
  producer_id TEXT,
  PRIMARY KEY (queue, id)
);
CREATE TABLE IF NOT EXISTS metrics (
  queue TEXT NOT NULL,
  kind TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  prev_ts INTEGER,
  prev_count INTEGER NOT NULL DEFAULT 0,
  data TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (queue, kind)
);
-- A removed job takes its logs and its own children links with it, inside SQLite (one statement from JS).
CREATE TRIGGER IF NOT EXISTS jobs_removed AFTER DELETE ON jobs BEGIN
  DELETE FROM logs WHERE queue = old.queue AND job_id = old.id;
  DELETE FROM deps WHERE parent_queue = old.queue AND parent_id = old.id;
END;
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  expire_at INTEGER
);
CREATE TABLE IF NOT EXISTS clients (
  name TEXT NOT NULL,
  queue TEXT NOT NULL,
  owner TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (owner, name)
);
`;
