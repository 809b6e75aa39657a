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

/**
 * Sends due outbox rows. Each lane claims one row (a conditional UPDATE, so two workers never
 * claim the same row), sends it, and records the outcome *before* claiming the next: after a
 * crash the only rows sent again are those whose claim was alive at the crash, and those the
 * server had not accepted yet, except for the instant between the server's 250 and the update
 * (see docs/mail.md: the receiver's Message-ID de-duplication covers that instant).
 */
export class MailDelivery {
  readonly #o: DeliveryOptions;

  constructor(options: DeliveryOptions) {
    this.#o = options;
  }

  /** Delivers due rows (of one batch, or all) until none is due; returns what happened. */
  async deliver(scope: { batchId?: string; signal?: AbortSignal } = {}): Promise<DeliveryStats> {
    const stats: DeliveryStats = { sent: 0, failed: 0, deferred: 0, suppressed: 0 };
    const lanes = Array.from({ length: Math.max(1, this.#o.transport.concurrency) }, async () => {
      while (!scope.signal?.aborted) {
        const row = await this.#claim(scope.batchId);
        if (!row) return;
        stats[await this.#sendOne(row, scope.signal)] += 1;
      }
    });
    await Promise.all(lanes);
    return stats;
  }

  /** Rows of a batch not yet final (pending or in flight). */
  async unfinished(batchId: string): Promise<number> {
    const row = await this.#o.db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('batch_id', '=', batchId).where('status', 'in', ['pending', 'sending']).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async #claim(batchId: string | undefined): Promise<OutboxRow | undefined> {
    const now = new Date();
    const nowIso = now.toISOString();
    const due = (eb: ExpressionBuilder<DatabaseSchema, 'mail_outbox'>) => {
      const ready = eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', nowIso)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<', nowIso)]),
      ]);
      return batchId === undefined ? ready : eb.and([eb('batch_id', '=', batchId), ready]);
    };
    let pick = this.#o.db.selectFrom('mail_outbox').select('id').where(due).orderBy('id').limit(1);
    // PostgreSQL: concurrent claimers skip each other's rows instead of queueing behind them.
    if (this.#o.dialect === 'postgres') pick = pick.forUpdate().skipLocked();
    return this.#o.db.updateTable('mail_outbox')
      .set({ status: 'sending', lease_until: new Date(now.getTime() + this.#o.leaseMs).toISOString(), attempts: sql<number>`attempts + 1`, updated_at: nowIso })
      // `id = (scalar subquery)`, not `id in (…)`: PostgreSQL may re-run an IN subquery per row,
      // and LIMIT 1 … SKIP LOCKED then claims every row at once.
      .where('id', '=', pick)
      .where(due)
      .returningAll()
      .executeTakeFirst();
  }

  async #sendOne(row: OutboxRow, signal: AbortSignal | undefined): Promise<keyof DeliveryStats> {
    const { db } = this.#o;
    // The suppression list is checked again at send time: an unsubscribe after enqueueing still counts.
    const suppressed = await db.selectFrom('mail_suppressions').select('address').where('address', '=', normalizeAddress(row.recipient)).executeTakeFirst();
    if (suppressed) {
      await this.#finish(row, { status: 'suppressed', last_error: 'address is on the suppression list' });
      return 'suppressed';
    }
    await this.#o.limiter.take(row.domain, signal);
    try {
      await this.#o.transport.send(toOutgoing(row, this.#o.defaultFrom));
      await this.#finish(row, { status: 'sent', sent_at: new Date().toISOString(), response_code: 250, last_error: null });
      return 'sent';
    } catch (raw) {
      const error = classifySendError(raw);
      const code = error.responseCode ?? null;
      if (error instanceof MailPermanentError || row.attempts >= this.#o.maxAttempts) {
        this.#o.logger.warn({ messageId: row.message_id, recipient: row.recipient, code, err: error.message }, 'mail permanently failed');
        await this.#finish(row, { status: 'failed', response_code: code, last_error: error.message.slice(0, 1000) });
        return 'failed';
      }
      const delay = this.#o.retryBaseMs * 2 ** Math.min(row.attempts - 1, 20);
      await this.#finish(row, { status: 'pending', response_code: code, last_error: error.message.slice(0, 1000), next_attempt_at: new Date(Date.now() + delay).toISOString() });
      return 'deferred';
    }
  }

  async #finish(row: OutboxRow, set: { status: OutboxRow['status']; sent_at?: string; response_code?: number | null; last_error: string | null; next_attempt_at?: string }): Promise<void> {
    await this.#o.db.updateTable('mail_outbox')
      .set({ ...set, lease_until: null, updated_at: new Date().toISOString() })
      .where('id', '=', row.id)
      .where('status', '=', 'sending')
      .execute();
  }
}
