import { serverNow } from './clock.ts';
import type { DependenciesOpts, JobJson, JobState, JobType } from 'bullmq';
import { SqliteBackendBase, CLIENT_TTL_MS } from './backend-base.ts';
import { invalidateGate, rateLimitDelay, readFlags } from './claim.ts';
import * as get from './getters.ts';
import { parseJson, rowToJobJson, type JobRow } from './rows.ts';
import * as move from './transitions.ts';

/** The read side of the SQLite IQueueBackend (states, counts, ranges, flows, logs, metrics, meta) used by Queue getters and Bull Board. */
export class SqliteBackendQueries extends SqliteBackendBase {
  // ---- queries ----
  async getState(jobId: string): Promise<JobState | 'unknown'> {
    return this.reply(() => get.getState(this.ctx, jobId));
  }

  async isFinished(jobId: string, returnValue?: boolean): Promise<number | [number, string]> {
    const row = await this.reply(() => get.jobRow(this.ctx, jobId));
    let status = 0;
    let value = '';
    if (!row) [status, value] = [-1, `Missing key for job ${this.toKey(jobId)}. isFinished`];
    else if (row.state === 'completed') [status, value] = [1, row.returnvalue ?? 'null'];
    else if (row.state === 'failed') [status, value] = [2, row.failed_reason ?? ''];
    return returnValue ? [status, value] : status;
  }

  async isMaxed(): Promise<boolean> {
    return this.reply(() => {
      const { concurrency } = readFlags(this.ctx);
      if (concurrency === undefined) return false;
      const active = this.store.one<{ n: number }>(`SELECT COUNT(*) AS n FROM jobs WHERE queue = ? AND state = 'active'`, this.qualifiedName);
      return (active?.n ?? 0) >= concurrency;
    });
  }

  async isJobInState(state: string, jobId: string): Promise<boolean> {
    return this.reply(() => get.isJobInState(this.ctx, state, jobId));
  }

  async getJobData(jobId: string): Promise<JobJson | undefined> {
    const row = await this.reply(() => get.jobRow(this.ctx, jobId));
    return row ? rowToJobJson(row) : undefined;
  }

  async getDeduplicationJobId(deduplicationId: string): Promise<string | null> {
    const row = await this.reply(() =>
      this.store.one<{ job_id: string; expire_at: number | null }>(
        'SELECT job_id, expire_at FROM dedup WHERE queue = ? AND dedup_id = ?',
        this.qualifiedName,
        deduplicationId,
      ),
    );
    return row && (row.expire_at === null || row.expire_at > serverNow()) ? row.job_id : null;
  }

  async getJobLogs(jobId: string, start: number, end: number, asc: boolean): Promise<{ logs: string[]; count: number }> {
    return this.reply(() => get.getJobLogs(this.ctx, jobId, start, end, asc));
  }

  async getRateLimitTtl(maxJobs?: number): Promise<number> {
    return this.reply(() => {
      const now = serverNow();
      const window = this.store.one<{ points: number; expire_at: number }>('SELECT points, expire_at FROM rate_limit WHERE queue = ?', this.qualifiedName);
      if (!window || window.expire_at <= now) return -2;
      const flags = readFlags(this.ctx);
      if (maxJobs) return window.points >= maxJobs ? window.expire_at - now : 0;
      if (flags.max !== undefined || this.ctx.settings.limiter) return rateLimitDelay(this.ctx, flags, now);
      return window.expire_at - now;
    });
  }

  async getCounts(types: JobType[], delayedTimestamp?: number): Promise<number[]> {
    return this.reply(() => get.getCounts(this.ctx, types, delayedTimestamp));
  }

  async getCountsPerPriority(priorities: number[]): Promise<number[]> {
    return this.reply(() => get.getCountsPerPriority(this.ctx, priorities));
  }

  async getRanges(types: JobType[], start = 0, end = -1, asc = false): Promise<[string][]> {
    return (await this.reply(() => types.map((type) => get.getRange(this.ctx, type, start, end, asc)))) as unknown as [string][];
  }

  async getDependencyCounts(jobId: string, types: string[]): Promise<number[]> {
    return this.reply(() => get.dependencyCounts(this.ctx, jobId, types));
  }

  async getDependencies(
    jobId: string,
    opts: DependenciesOpts,
  ): Promise<{
    nextFailedCursor?: number;
    failed?: string[];
    nextIgnoredCursor?: number;
    ignored?: Record<string, unknown>;
    nextProcessedCursor?: number;
    processed?: Record<string, unknown>;
    nextUnprocessedCursor?: number;
    unprocessed?: string[];
  }> {
    return this.reply(() => {
      const all = !opts.processed && !opts.unprocessed && !opts.ignored && !opts.failed;
      const page = (status: string, o?: { cursor?: number; count?: number }) => {
        const cursor = o?.cursor ?? 0;
        const count = o?.count ?? 20;
        const rows = all ? get.dependencies(this.ctx, jobId, status) : get.dependencies(this.ctx, jobId, status, cursor, count);
        return { rows, next: all || rows.length < count ? 0 : cursor + count };
      };
      const toMap = (rows: { child_key: string; value: string | null }[]) =>
        Object.fromEntries(rows.map((r) => [r.child_key, parseJson<unknown>(r.value, r.value)]));
      const result: Record<string, unknown> = {};
      if (all || opts.processed) {
        const p = page('processed', opts.processed);
        result['processed'] = toMap(p.rows);
        if (!all) result['nextProcessedCursor'] = p.next;
      }
      if (all || opts.unprocessed) {
        const p = page('pending', opts.unprocessed);
        result['unprocessed'] = p.rows.map((r) => r.child_key);
        if (!all) result['nextUnprocessedCursor'] = p.next;
      }
      if (all || opts.ignored) {
        const p = page('ignored', opts.ignored);
        result['ignored'] = Object.fromEntries(p.rows.map((r) => [r.child_key, r.value]));
        if (!all) result['nextIgnoredCursor'] = p.next;
      }
      if (all || opts.failed) {
        const p = page('failed', opts.failed);
        result['failed'] = p.rows.map((r) => r.child_key);
        if (!all) result['nextFailedCursor'] = p.next;
      }
      return result;
    });
  }

  async getProcessedChildrenValues(jobId: string): Promise<Record<string, string>> {
    return this.reply(() => Object.fromEntries(get.dependencies(this.ctx, jobId, 'processed').map((r) => [r.child_key, r.value ?? 'null'])));
  }

  async getIgnoredChildrenFailures(jobId: string): Promise<Record<string, string>> {
    return this.reply(() => Object.fromEntries(get.dependencies(this.ctx, jobId, 'ignored').map((r) => [r.child_key, r.value ?? ''])));
  }

  async getMetrics(type: 'completed' | 'failed', start = 0, end = -1): Promise<[string[], string[], number]> {
    return this.reply(() => get.getMetrics(this.ctx, type, start, end));
  }

  async getClientList(): Promise<string[]> {
    const rows = await this.reply(() =>
      this.store.all<{ name: string; owner: string; seen_at: number }>(
        'SELECT name, owner, seen_at FROM clients WHERE seen_at > ?',
        Date.now() - CLIENT_TTL_MS,
      ),
    );
    return [rows.map((r, i) => `id=${i + 1} addr=${r.owner} age=0 idle=0 name=${r.name}`).join('\n')];
  }

  async paginate(
    key: string,
    opts: { start: number; end: number; fetchJobs?: boolean },
  ): Promise<{
    cursor: string;
    items: { id: string; v?: unknown; err?: string }[];
    total: number;
    jobs?: JobJson[];
  }> {
    const inner = key.startsWith(`${this.qualifiedName}:`) ? key.slice(this.qualifiedName.length + 1) : key;
    const processed = inner.endsWith(':processed');
    if (!processed && !inner.endsWith(':dependencies')) throw new Error(`paginate: unsupported key ${key}`);
    const parentId = inner.slice(0, inner.lastIndexOf(':'));
    const status = processed ? 'processed' : 'pending';
    return this.reply(() => {
      const total = get.dependencies(this.ctx, parentId, status).length;
      const offset = Math.max(0, opts.start);
      const rows = get.dependencies(this.ctx, parentId, status, offset, opts.end < 0 ? -1 : opts.end - offset + 1);
      const items = rows.map((r) => (processed ? { id: r.child_key, v: parseJson<unknown>(r.value, r.value) } : { id: r.child_key }));
      const result: { cursor: string; items: typeof items; total: number; jobs?: JobJson[] } = { cursor: '0', items, total };
      if (opts.fetchJobs) {
        result.jobs = rows.flatMap((r) => {
          const child = this.parseNodeKey(r.child_key);
          const row = this.store.one<JobRow>('SELECT * FROM jobs WHERE queue = ? AND id = ?', `${child.prefix}:${child.queueName}`, child.id);
          return row ? [rowToJobJson(row)] : [];
        });
      }
      return result;
    });
  }

  // ---- queue metadata ----
  async setQueueMeta(values: Record<string, string | number>): Promise<number> {
    invalidateGate(this.ctx);
    const entries = Object.entries(values);
    await this.tx(() => {
      for (const [field, value] of entries) {
        this.store.run('INSERT OR REPLACE INTO meta (queue, field, value) VALUES (?, ?, ?)', this.qualifiedName, field, String(value));
      }
    });
    return entries.length;
  }

  async getQueueMetaField(field: string): Promise<string | null> {
    return (await this.getQueueMetaFields([field]))[0] ?? null;
  }

  async getQueueMetaFields(fields: string[]): Promise<(string | null)[]> {
    const meta = await this.getQueueMeta();
    return fields.map((field) => meta[field] ?? null);
  }

  async getQueueMeta(): Promise<Record<string, string>> {
    const rows = await this.reply(() => this.store.all<{ field: string; value: string }>('SELECT field, value FROM meta WHERE queue = ?', this.qualifiedName));
    return Object.fromEntries(rows.filter((r) => r.field !== 'stalled-check').map((r) => [r.field, r.value]));
  }

  async removeQueueMetaFields(fields: string[]): Promise<number> {
    invalidateGate(this.ctx);
    return this.tx(() => fields.reduce((n, field) => n + this.store.run('DELETE FROM meta WHERE queue = ? AND field = ?', this.qualifiedName, field), 0));
  }

  async hasQueueMetaField(field: string): Promise<boolean> {
    return (await this.getQueueMetaField(field)) !== null;
  }

  async setRateLimit(expireTimeMs: number): Promise<void> {
    invalidateGate(this.ctx);
    await this.tx(() => move.setRateLimit(this.ctx, expireTimeMs, serverNow()));
  }

  async removeRateLimitKey(): Promise<number> {
    invalidateGate(this.ctx);
    const removed = await this.tx(() => this.store.run('DELETE FROM rate_limit WHERE queue = ?', this.qualifiedName));
    this.store.bus.emit(`job:${this.qualifiedName}`);
    return removed;
  }

  /** There is no deprecated priority key: priorities are a column. */
  async removeDeprecatedPriorityKey(): Promise<number> {
    return 0;
  }
}
