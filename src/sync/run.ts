import { sql } from 'kysely';
import { batchInsert, BatchWriteError, type Db } from '../db/index.ts';
import { OutboundClient, type ResolvedAddress } from '../outbound/index.ts';
import { AiStackError } from '../shared/errors.ts';
import { silentLogger, type Logger } from '../shared/logger.ts';
import { readSource, SyncFetchError } from './read-source.ts';
import { redact, unseal } from './secrets.ts';
import { getSourceRow, settingsOf, type SourceSettings, type SyncSourceRow } from './sources.ts';
import { sameValue, targetFor, type Target, type TargetRow } from './targets.ts';

/** Rejected rows kept with a run (the counts are exact; the list is a sample). */
const MAX_LISTED_REJECTIONS = 100;
/** Rows a unique constraint refuses at write time are dropped and the write retried, this many times at most. */
const MAX_CONSTRAINT_REJECTIONS = 50;

export interface SyncDeps {
  db: Db;
  credentialsKey: Buffer | undefined;
  /** Private hosts, IPs or CIDRs a source may point at (AI_STACK_OUTBOUND_ALLOW). */
  allow: readonly string[];
  /** Default: silent. Never sees a credential (run errors are redacted before they are logged or stored). */
  logger?: Logger;
  /** Name resolution for the source hosts; default the system resolver. */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
}

export interface Rejection {
  /** Position of the record in the run, across pages (0-based). */
  row: number;
  key: string | null;
  reasons: string[];
}

export interface SyncRunResult {
  runId: number;
  sourceId: number;
  status: 'succeeded' | 'not_modified';
  pages: number;
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  rejections: Rejection[];
}

/**
 * One run of a source: read every page, validate, compare with what is stored, then write only the new and
 * changed rows in one transaction. A run that fails anywhere applies nothing; a run over unchanged data
 * writes nothing. Where the next run continues (ETag, cursor, newest updated_at) is saved after the rows are
 * written: a crash between the two only means the next run reads the same records again and finds them unchanged.
 */
export async function runSync(deps: SyncDeps, sourceId: number, opts: { taskId?: string; signal?: AbortSignal } = {}): Promise<SyncRunResult> {
  const { db } = deps;
  const source = await getSourceRow(db, sourceId);
  if (Number(source.enabled) !== 1) throw new AiStackError(`sync source ${sourceId} is disabled`, { code: 'sync_source_disabled', status: 409 });
  const settings = settingsOf(source);
  const run = await db.kysely
    .insertInto('sync_runs')
    .values({ source_id: sourceId, task_id: opts.taskId ?? null, status: 'running', started_at: new Date().toISOString() })
    .returning('id')
    .executeTakeFirstOrThrow();
  const client = new OutboundClient({
    allow: deps.allow,
    timeoutMs: settings.limits.timeout_ms,
    maxBytes: settings.limits.max_bytes,
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
  });
  let secret: string | undefined;
  try {
    const credential =
      source.credential_sealed && source.credential_header
        ? { header: source.credential_header, value: unseal(source.credential_sealed, deps.credentialsKey) }
        : null;
    secret = credential?.value;
    await preflight(client, source.url);
    const read = await readSource({ client, source, settings, credential, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (read.notModified)
      return await finish(deps, source, run.id, {
        status: 'not_modified',
        pages: 1,
        read: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        rejected: 0,
        rejections: [],
      });
    opts.signal?.throwIfAborted();
    const target = targetFor(source, settings);
    const staged = stage(read.records, target);
    const { constraintRejections, ...written } = await apply(db, target, staged.rows, staged.rejections, sourceId);
    return await finish(
      deps,
      source,
      run.id,
      {
        status: 'succeeded',
        pages: read.pages,
        read: read.records.length,
        ...written,
        rejected: staged.rejected + constraintRejections,
        rejections: staged.rejections.slice(0, MAX_LISTED_REJECTIONS),
      },
      { etag: read.etag, last_modified: read.lastModified, cursor: read.lastCursor, high_water: highWater(read.records, settings, source.high_water) },
    );
  } catch (error) {
    const message = redact(error instanceof Error ? error.message : String(error), secret);
    if (error instanceof Error) error.message = message;
    await db.kysely
      .updateTable('sync_runs')
      .set({ status: 'failed', error: message.slice(0, 2000), finished_at: new Date().toISOString() })
      .where('id', '=', run.id)
      .execute();
    (deps.logger ?? silentLogger).warn({ sourceId, runId: run.id, error: message }, 'sync run failed; nothing was applied');
    throw error;
  } finally {
    await client.close();
  }
}

/** A clear refusal before any connection; the connection itself is checked again (that is the check that counts). */
async function preflight(client: OutboundClient, url: string): Promise<void> {
  try {
    await client.check(url);
  } catch (error) {
    if (error instanceof AiStackError) throw error;
    throw new SyncFetchError(`cannot resolve the host of ${url}: ${(error as Error).message}`);
  }
}

interface Staged {
  /** Valid rows by key; a key repeated within a run keeps its last record. */
  rows: Map<string, TargetRow>;
  rejected: number;
  rejections: Rejection[];
}

function stage(records: readonly unknown[], target: Target): Staged {
  const rows = new Map<string, TargetRow>();
  const rejections: Rejection[] = [];
  let rejected = 0;
  records.forEach((record, row) => {
    const outcome = target.toRow(record);
    if ('row' in outcome) rows.set(outcome.key, outcome.row);
    else {
      rejected++;
      if (rejections.length < MAX_LISTED_REJECTIONS) rejections.push({ row, key: outcome.key, reasons: outcome.reasons });
    }
  });
  return { rows, rejected, rejections };
}

interface Written {
  inserted: number;
  updated: number;
  unchanged: number;
  constraintRejections: number;
}

/** Compares with the stored rows and upserts only the difference, all in one transaction (the batch writer's atomic mode). */
async function apply(db: Db, target: Target, rows: Map<string, TargetRow>, rejections: Rejection[], sourceId: number): Promise<Written> {
  const existing = await storedRows(db, target, [...rows.keys()], sourceId);
  const now = new Date().toISOString();
  const changes: { key: string; insert: boolean; row: Record<string, unknown> }[] = [];
  let unchanged = 0;
  for (const [key, row] of rows) {
    const stored = existing.get(key);
    if (stored && target.dataColumns.every((column) => sameValue(stored[column], row[column]))) unchanged++;
    else changes.push({ key, insert: !stored, row: { ...row, version: stored ? Number(stored.version) + 1 : 1, updated_at: now } });
  }
  let constraintRejections = 0;
  const update = [...target.dataColumns, 'version', 'updated_at'];
  for (;;) {
    try {
      // The column set is the target's own; the table name is one of three fixed ones.
      await batchInsert(db, target.table, changes.map((c) => c.row) as never[], { onConflict: { columns: target.keyColumns, update }, atomic: true });
      break;
    } catch (error) {
      // A row the schema accepted but the table refuses (e.g. an email another customer has): rejected, the rest written.
      if (!(error instanceof BatchWriteError) || error.rowIndex === undefined || constraintRejections >= MAX_CONSTRAINT_REJECTIONS) throw error;
      const [culprit] = changes.splice(error.rowIndex, 1);
      constraintRejections++;
      const reason = error.cause instanceof Error ? error.cause.message : error.message;
      if (rejections.length < MAX_LISTED_REJECTIONS) rejections.push({ row: -1, key: culprit?.key ?? null, reasons: [reason] });
    }
  }
  const inserted = changes.filter((c) => c.insert).length;
  return { inserted, updated: changes.length - inserted, unchanged, constraintRejections };
}

async function storedRows(db: Db, target: Target, keys: string[], sourceId: number): Promise<Map<string, Record<string, unknown>>> {
  const keyColumn = target.keyColumns[target.keyColumns.length - 1] as string;
  const columns = [keyColumn, 'version', ...target.dataColumns].map((c) => sql.ref(c));
  const found = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    const scope = target.table === 'sync_staging' ? sql`source_id = ${sourceId} and` : sql``;
    const { rows } = await sql<
      Record<string, unknown>
    >`select ${sql.join(columns)} from ${sql.table(target.table)} where ${scope} ${sql.ref(keyColumn)} in (${sql.join(chunk)})`.execute(db.kysely);
    for (const row of rows) found.set(String(row[keyColumn]), row);
  }
  return found;
}

/** The newest `updated_at` (or configured field) seen, kept when this run saw none. */
function highWater(records: readonly unknown[], settings: SourceSettings, previous: string | null): string | null {
  if (settings.incremental.mode !== 'updated_at') return previous;
  let best = previous;
  let bestTime = previous ? Date.parse(previous) : Number.NEGATIVE_INFINITY;
  for (const record of records) {
    const value = record !== null && typeof record === 'object' ? (record as Record<string, unknown>)[settings.incremental.field] : undefined;
    const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (!Number.isNaN(time) && time > bestTime) {
      best = value as string;
      bestTime = time;
    }
  }
  return best;
}

async function finish(
  deps: SyncDeps,
  source: SyncSourceRow,
  runId: number,
  stats: Omit<SyncRunResult, 'runId' | 'sourceId'>,
  state?: { etag: string | null; last_modified: string | null; cursor: string | null; high_water: string | null },
): Promise<SyncRunResult> {
  await deps.db.kysely.transaction().execute(async (trx) => {
    if (state) await trx.updateTable('sync_sources').set(state).where('id', '=', source.id).execute();
    await trx
      .updateTable('sync_runs')
      .set({
        status: stats.status,
        finished_at: new Date().toISOString(),
        pages: stats.pages,
        rows_read: stats.read,
        inserted: stats.inserted,
        updated: stats.updated,
        unchanged: stats.unchanged,
        rejected: stats.rejected,
        rejections: JSON.stringify(stats.rejections),
      })
      .where('id', '=', runId)
      .execute();
  });
  const result = { runId, sourceId: source.id, ...stats };
  (deps.logger ?? silentLogger).info({ ...result, rejections: undefined }, 'sync run finished');
  return result;
}
