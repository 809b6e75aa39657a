import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import { withoutDiskFlush, type DatabaseSchema, type DialectName } from '../db/index.ts';
import type { Logger } from '../shared/logger.ts';
import { MailPermanentError, classifySendError } from './errors.ts';
import { normalizeAddress } from './message.ts';
import { toOutgoing, type OutboxRow } from './outbox.ts';
import type { DomainRateLimiter } from './rate-limit.ts';
import type { MailTransport } from './transport.ts';

export interface DeliveryOptions {
  db: Kysely<DatabaseSchema>;
  dialect: DialectName;
  transport: MailTransport;
  limiter: DomainRateLimiter;
  logger: Logger;
  defaultFrom: string;
  retryBaseMs: number;
  maxAttempts: number;
  /** How long a claimed row belongs to its claimer; after a crash the row is sent again once it passed. */
  leaseMs: number;
}

export interface DeliveryStats {
  sent: number;
  failed: number;
  deferred: number;
  suppressed: number;
}

type Outcome = { status: OutboxRow['status']; sent_at?: string; response_code?: number | null; last_error: string | null; next_attempt_at?: string };
const SUPPRESSED: Outcome = { status: 'suppressed', last_error: 'address is on the suppression list' };
type Due = (eb: ExpressionBuilder<DatabaseSchema, 'mail_outbox'>) => ReturnType<ExpressionBuilder<DatabaseSchema, 'mail_outbox'>['or']>;

/** Rows each lane may hold claimed ahead of sending (their lease runs meanwhile). */
const CLAIM_PER_LANE = 16;
/**
 * Claims and outcomes commit without waiting for the disk (they survive the worker being killed at
 * once), but at least this often one of them waits for it, and so does the end of a delivery run:
 * a power cut can lose at most about this much sending time's records (those messages go again,
 * with the same Message-ID).
 */
const DURABLE_EVERY_MS = 1000;
/**
 * Longest an outcome waits for the other lanes' outcomes to share its commit. A lane sends nothing
 * while its record waits, so this bounds how much longer a crash can find a message accepted and
 * not yet recorded (still at most one per lane); it turns ~1 commit per message into ~1 per lane-round.
 */
const GROUP_COMMIT_WAIT_MS = 1;
/** A row whose domain slot made it wait longer than this is checked against the suppression list again. */
const RECHECK_AFTER_WAIT_MS = 50;

/**
 * Sends due outbox rows. Rows are claimed a batch at a time (a conditional UPDATE, so two workers
 * never claim the same row); each lane sends one and records the outcome *before* sending the
 * next: after a crash the only rows sent again are those claimed and not yet accepted, except for
 * the instant between the server's 250 and the record (see docs/mail.md: receivers that
 * de-duplicate by Message-ID cover that instant, and the Message-ID is the same on every attempt).
 * Records commit without an fsync (DURABLE_EVERY_MS), so that instant is at most GROUP_COMMIT_WAIT_MS
 * (waiting for the other lanes' outcomes) and a commit, not a disk flush.
 */
export class MailDelivery {
  readonly #o: DeliveryOptions;
  readonly #outcomes: { id: number; set: Outcome; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #flushing: Promise<void> | undefined;
  /** A flush waiting for more lanes' outcomes (GROUP_COMMIT_WAIT_MS at most); `#lanes`: lanes of all running deliver() calls. */
  #flushSoon: NodeJS.Timeout | undefined;
  #lanes = 0;
  /** When a claim or record last waited for the disk; `#unflushed`: a relaxed commit happened since the last end of a run. */
  #durableAt = Number.NEGATIVE_INFINITY;
  #unflushed = false;

  /**
   * `status` in the conditional UPDATE that records a group's sent rows. On SQLite `+status` (not
   * indexable): without statistics its planner answered `id in (…) and status = 'sending'` through the
   * status index, scanning every row in flight (every stale one after a crash, every other worker's)
   * for each record instead of looking up its few ids. (`id = ?` alone already takes the primary key.)
   */
  readonly #stillSending;

  constructor(options: DeliveryOptions) {
    this.#o = options;
    this.#stillSending = options.dialect === 'sqlite' ? sql<OutboxRow['status']>`+status` : sql<OutboxRow['status']>`status`;
  }

  /** Delivers due rows (of one batch, or all) until none is due; returns what happened. `onSettled` hears each row's outcome. */
  async deliver(scope: { batchId?: string; signal?: AbortSignal; onSettled?: () => void } = {}): Promise<DeliveryStats> {
    const stats: DeliveryStats = { sent: 0, failed: 0, deferred: 0, suppressed: 0 };
    const lanes = Math.max(1, this.#o.transport.concurrency);
    // Claimed rows waiting for a free lane; one claim at a time refills it (a claim is a write).
    const buffer: OutboxRow[] = [];
    let refilling: Promise<void> | undefined;
    let exhausted = false;
    const refill = (): Promise<void> =>
      (refilling ??= this.#claim(scope.batchId, lanes * CLAIM_PER_LANE)
        .then((rows) => this.#dropSuppressed(rows, stats))
        .then((rows) => {
          if (rows.length === 0) exhausted = true;
          buffer.push(...rows);
        })
        .finally(() => {
          refilling = undefined;
        }));
    const next = async (): Promise<OutboxRow | undefined> => {
      while (buffer.length === 0 && !exhausted && !scope.signal?.aborted) await refill();
      // Claim the next batch while the lanes still have a round of rows, so they never wait for it.
      if (buffer.length <= lanes && !exhausted && !scope.signal?.aborted) void refill().catch(() => undefined);
      return buffer.shift();
    };
    try {
      await Promise.all(
        Array.from({ length: lanes }, async () => {
          this.#lanes += 1;
          try {
            for (let row = await next(); row; row = await next()) {
              stats[await this.#sendOne(row, scope.signal)] += 1;
              scope.onSettled?.();
            }
          } finally {
            this.#lanes -= 1;
          }
        }),
      );
      // A prefetching claim may still be running; its rows stay leased to this run and go again after the lease.
      await refilling?.catch(() => undefined);
    } finally {
      await this.#makeDurable();
    }
    return stats;
  }

  /** Rows of a batch not yet final (pending or in flight). */
  async unfinished(batchId: string): Promise<number> {
    const row = await this.#o.db
      .selectFrom('mail_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('batch_id', '=', batchId)
      .where('status', 'in', ['pending', 'sending'])
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async #claim(batchId: string | undefined, limit: number): Promise<OutboxRow[]> {
    const now = new Date();
    const nowIso = now.toISOString();
    const due: Due = (eb) => {
      const ready = eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', nowIso)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<', nowIso)]),
      ]);
      return batchId === undefined ? ready : eb.or([eb.and([eb('batch_id', '=', batchId), ready])]);
    };
    const set = {
      status: 'sending' as const,
      lease_until: new Date(now.getTime() + this.#o.leaseMs).toISOString(),
      attempts: sql<number>`attempts + 1`,
      updated_at: nowIso,
    };
    const rows = await this.#write((db) => {
      if (this.#o.dialect === 'postgres') {
        // A CTE runs once; `id in (subquery … limit n)` may be re-run per row by PostgreSQL and claim
        // everything. SKIP LOCKED: concurrent claimers take different rows instead of queueing.
        return db
          .with('picked', (qb) => qb.selectFrom('mail_outbox').select('id').where(due).orderBy('id').limit(limit).forUpdate().skipLocked())
          .updateTable('mail_outbox')
          .set(set)
          .where('id', 'in', (eb) => eb.selectFrom('picked').select('picked.id'))
          .where(due)
          .returningAll()
          .execute();
      }
      // SQLite has one writer at a time: the subquery and the update see the same rows.
      return db
        .updateTable('mail_outbox')
        .set(set)
        .where('id', 'in', db.selectFrom('mail_outbox').select('id').where(due).orderBy('id').limit(limit))
        .returningAll()
        .execute();
    });
    return rows.sort((a, b) => a.id - b.id);
  }

  /**
   * The suppression list is checked again at send time (an unsubscribe after enqueueing still counts):
   * once for a whole claimed batch, and again for a row whose domain slot kept it waiting.
   */
  async #dropSuppressed(rows: OutboxRow[], stats: DeliveryStats): Promise<OutboxRow[]> {
    if (rows.length === 0) return rows;
    const found = await this.#o.db
      .selectFrom('mail_suppressions')
      .select('address')
      .where('address', 'in', [...new Set(rows.map((r) => normalizeAddress(r.recipient)))])
      .execute();
    if (found.length === 0) return rows;
    const suppressed = new Set(found.map((r) => r.address));
    const keep = rows.filter((r) => !suppressed.has(normalizeAddress(r.recipient)));
    await Promise.all(
      rows
        .filter((r) => suppressed.has(normalizeAddress(r.recipient)))
        .map(async (r) => {
          await this.#finish(r, SUPPRESSED);
          stats.suppressed += 1;
        }),
    );
    return keep;
  }

  async #isSuppressed(row: OutboxRow): Promise<boolean> {
    const found = await this.#o.db.selectFrom('mail_suppressions').select('address').where('address', '=', normalizeAddress(row.recipient)).executeTakeFirst();
    return found !== undefined;
  }

  async #sendOne(row: OutboxRow, signal: AbortSignal | undefined): Promise<keyof DeliveryStats> {
    const waitStarted = performance.now();
    await this.#o.limiter.take(row.domain, signal);
    if (performance.now() - waitStarted > RECHECK_AFTER_WAIT_MS && (await this.#isSuppressed(row))) {
      await this.#finish(row, SUPPRESSED);
      return 'suppressed';
    }
    let failure: unknown;
    try {
      await this.#o.transport.send(toOutgoing(row, this.#o.defaultFrom));
    } catch (raw) {
      failure = raw;
    }
    // Outside the try: a failure to *record* a sent message must not be mistaken for a failed send (and resent).
    if (failure === undefined) {
      await this.#finish(row, { status: 'sent', response_code: 250, last_error: null });
      return 'sent';
    }
    const error = classifySendError(failure);
    const code = error.responseCode ?? null;
    if (error instanceof MailPermanentError || row.attempts >= this.#o.maxAttempts) {
      this.#o.logger.warn({ messageId: row.message_id, recipient: row.recipient, code, err: error.message }, 'mail permanently failed');
      await this.#finish(row, { status: 'failed', response_code: code, last_error: error.message.slice(0, 1000) });
      return 'failed';
    }
    const delay = this.#o.retryBaseMs * 2 ** Math.min(row.attempts - 1, 20);
    await this.#finish(row, {
      status: 'pending',
      response_code: code,
      last_error: error.message.slice(0, 1000),
      next_attempt_at: new Date(Date.now() + delay).toISOString(),
    });
    return 'deferred';
  }

  /**
   * Records an outcome; each lane waits for its own record before it sends again. Outcomes that arrive
   * while a record is being written share the next transaction. With no more lanes than connections,
   * an outcome waits until every lane has one (or GROUP_COMMIT_WAIT_MS passed), and they share one
   * transaction: one commit per round of the lanes instead of one per message (fewer commits, WAL pages
   * and checkpoints; the CPU they cost was most of the outbox's overhead). nodemailer's pool then never
   * holds a queued message, so a connection starts its next message only once a lane sends it, after
   * the record. With more lanes (several deliver() calls at once) a queued message could go out on a
   * connection whose record waits, so each outcome is written at once, before nodemailer frees its
   * connection.
   */
  #finish(row: OutboxRow, set: Outcome): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#outcomes.push({ id: row.id, set, resolve, reject });
      if (this.#flushing !== undefined) return;
      if (this.#lanes > this.#o.transport.concurrency || this.#outcomes.length >= this.#lanes) {
        clearTimeout(this.#flushSoon);
        this.#flushSoon = undefined;
        this.#flushing = this.#flush();
        return;
      }
      this.#flushSoon ??= setTimeout(() => {
        this.#flushSoon = undefined;
        if (this.#flushing === undefined && this.#outcomes.length > 0) this.#flushing = this.#flush();
      }, GROUP_COMMIT_WAIT_MS);
    });
  }

  async #flush(): Promise<void> {
    while (this.#outcomes.length > 0) {
      const batch = this.#outcomes.splice(0);
      try {
        await this.#write(async (trx) => {
          const now = new Date().toISOString();
          // Sent rows (nearly all of a bulk send) share one statement; their sent_at is this record's time.
          const sent = batch.filter((o) => o.set.status === 'sent').map((o) => o.id);
          if (sent.length > 0) {
            await trx
              .updateTable('mail_outbox')
              .set({ status: 'sent', sent_at: now, response_code: 250, last_error: null, lease_until: null, updated_at: now })
              .where('id', 'in', sent)
              .where(this.#stillSending, '=', 'sending')
              .execute();
          }
          for (const o of batch.filter((b) => b.set.status !== 'sent')) {
            await trx
              .updateTable('mail_outbox')
              .set({ ...o.set, lease_until: null, updated_at: now })
              .where('id', '=', o.id)
              .where('status', '=', 'sending')
              .execute();
          }
        });
        for (const o of batch) o.resolve();
      } catch (error) {
        for (const o of batch) o.reject(error);
      }
    }
    this.#flushing = undefined;
  }

  /**
   * One write transaction of the delivery loop (a claim or a batch of records). It commits without
   * waiting for the disk unless DURABLE_EVERY_MS passed since the last one that did.
   */
  async #write<T>(work: (trx: Transaction<DatabaseSchema>) => Promise<T>): Promise<T> {
    const started = Date.now();
    if (started - this.#durableAt >= DURABLE_EVERY_MS) {
      this.#durableAt = started;
      return this.#o.db.transaction().execute(work);
    }
    const result = await withoutDiskFlush(() =>
      this.#o.db.transaction().execute(async (trx) => {
        if (this.#o.dialect === 'postgres') await sql`set local synchronous_commit = off`.execute(trx);
        return work(trx);
      }),
    );
    // Set once committed, cleared only by #makeDurable: a flag set by a commit it did not cover survives.
    this.#unflushed = true;
    return result;
  }

  /**
   * Makes the relaxed commits of this run durable before deliver() returns. SQLite: a checkpoint, which
   * syncs the WAL first. PostgreSQL flushes asynchronous commits itself within 3 × wal_writer_delay.
   */
  async #makeDurable(): Promise<void> {
    if (!this.#unflushed) return;
    this.#unflushed = false;
    if (this.#o.dialect === 'sqlite') await sql`pragma wal_checkpoint(passive)`.execute(this.#o.db);
  }
}
