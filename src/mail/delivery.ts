import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { DatabaseSchema, DialectName } from '../db/index.ts';
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
type Due = (eb: ExpressionBuilder<DatabaseSchema, 'mail_outbox'>) => ReturnType<ExpressionBuilder<DatabaseSchema, 'mail_outbox'>['or']>;

/** Rows each lane may hold claimed ahead of sending (their lease runs meanwhile). */
const CLAIM_PER_LANE = 8;

/**
 * Sends due outbox rows. Rows are claimed a few at a time (a conditional UPDATE, so two workers
 * never claim the same row); each lane sends one and records the outcome *before* sending the
 * next: after a crash the only rows sent again are those claimed and not yet accepted, except for
 * the instant between the server's 250 and the record (see docs/mail.md: receivers that
 * de-duplicate by Message-ID cover that instant, and the Message-ID is the same on every attempt).
 */
export class MailDelivery {
  readonly #o: DeliveryOptions;
  readonly #outcomes: { id: number; set: Outcome; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #flushing: Promise<void> | undefined;

  constructor(options: DeliveryOptions) {
    this.#o = options;
  }

  /** Delivers due rows (of one batch, or all) until none is due; returns what happened. `onSettled` hears each row's outcome. */
  async deliver(scope: { batchId?: string; signal?: AbortSignal; onSettled?: () => void } = {}): Promise<DeliveryStats> {
    const stats: DeliveryStats = { sent: 0, failed: 0, deferred: 0, suppressed: 0 };
    const lanes = Math.max(1, this.#o.transport.concurrency);
    // Claimed rows waiting for a free lane; one claim at a time refills it (a claim is a write).
    const buffer: OutboxRow[] = [];
    let refilling: Promise<void> | undefined;
    let exhausted = false;
    const next = async (): Promise<OutboxRow | undefined> => {
      while (buffer.length === 0 && !exhausted && !scope.signal?.aborted) {
        refilling ??= this.#claim(scope.batchId, lanes * CLAIM_PER_LANE)
          .then((rows) => {
            if (rows.length === 0) exhausted = true;
            buffer.push(...rows);
          })
          .finally(() => {
            refilling = undefined;
          });
        await refilling;
      }
      return buffer.shift();
    };
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let row = await next(); row; row = await next()) {
          stats[await this.#sendOne(row, scope.signal)] += 1;
          scope.onSettled?.();
        }
      }),
    );
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
    const { db } = this.#o;
    let rows: OutboxRow[];
    if (this.#o.dialect === 'postgres') {
      // A CTE runs once; `id in (subquery … limit n)` may be re-run per row by PostgreSQL and claim
      // everything. SKIP LOCKED: concurrent claimers take different rows instead of queueing.
      rows = await db
        .with('picked', (qb) => qb.selectFrom('mail_outbox').select('id').where(due).orderBy('id').limit(limit).forUpdate().skipLocked())
        .updateTable('mail_outbox')
        .set(set)
        .where('id', 'in', (eb) => eb.selectFrom('picked').select('picked.id'))
        .where(due)
        .returningAll()
        .execute();
    } else {
      // SQLite has one writer at a time: the subquery and the update see the same rows.
      rows = await db
        .updateTable('mail_outbox')
        .set(set)
        .where('id', 'in', db.selectFrom('mail_outbox').select('id').where(due).orderBy('id').limit(limit))
        .returningAll()
        .execute();
    }
    return rows.sort((a, b) => a.id - b.id);
  }

  async #sendOne(row: OutboxRow, signal: AbortSignal | undefined): Promise<keyof DeliveryStats> {
    // The suppression list is checked again at send time: an unsubscribe after enqueueing still counts.
    const suppressed = await this.#o.db
      .selectFrom('mail_suppressions')
      .select('address')
      .where('address', '=', normalizeAddress(row.recipient))
      .executeTakeFirst();
    if (suppressed) {
      await this.#finish(row, { status: 'suppressed', last_error: 'address is on the suppression list' });
      return 'suppressed';
    }
    await this.#o.limiter.take(row.domain, signal);
    let failure: unknown;
    try {
      await this.#o.transport.send(toOutgoing(row, this.#o.defaultFrom));
    } catch (raw) {
      failure = raw;
    }
    // Outside the try: a failure to *record* a sent message must not be mistaken for a failed send (and resent).
    if (failure === undefined) {
      await this.#finish(row, { status: 'sent', sent_at: new Date().toISOString(), response_code: 250, last_error: null });
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
   * Records an outcome. Outcomes of lanes finishing at the same moment share one transaction (one
   * fsync), but each lane still waits for its own record before it sends again.
   */
  #finish(row: OutboxRow, set: Outcome): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#outcomes.push({ id: row.id, set, resolve, reject });
      if (this.#flushing === undefined) this.#flushing = this.#flush();
    });
  }

  async #flush(): Promise<void> {
    while (this.#outcomes.length > 0) {
      const batch = this.#outcomes.splice(0);
      try {
        await this.#o.db.transaction().execute(async (trx) => {
          for (const o of batch) {
            await trx
              .updateTable('mail_outbox')
              .set({ ...o.set, lease_until: null, updated_at: new Date().toISOString() })
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
}
