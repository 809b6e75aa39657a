import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { DatabaseSchema, MailOutboxTable, MailStatus } from '../db/index.ts';
import { ValidationError } from '../shared/errors.ts';
import { domainOf, isValidAddress, normalizeAddress, type MailAttachment, type OutgoingMessage } from './message.ts';

export type OutboxRow = Selectable<MailOutboxTable>;

/** A message for one recipient, as a module hands it to the outbox. */
export interface OutboxMessage {
  to: string;
  /** Display name of the recipient (encoded per RFC 2047 when not ASCII). */
  toName?: string;
  /** Defaults to AI_STACK_MAIL_FROM at delivery. */
  from?: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  attachments?: MailAttachment[];
  /** What caused it (`send_email`, `alert`, …), for listings. */
  kind?: string;
  /** The same key never enqueues twice (default: a fresh UUID, i.e. no de-duplication). */
  idempotencyKey?: string;
  /** Groups the messages of one bulk send, for its status. */
  batchId?: string;
}

interface StoredPayload {
  from?: string;
  toName?: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  attachments: { filename: string; contentType: string; base64: string; cid?: string }[];
}

const MAX_HEADER = 998;

export interface Enqueued {
  id: number;
  messageId: string;
  recipient: string;
  status: MailStatus;
}

/**
 * Writes messages into the outbox inside the caller's transaction, so a message exists exactly
 * when the business change that caused it committed. Suppressed addresses are recorded as such,
 * invalid ones as failed (per recipient, the rest of a bulk send goes on).
 */
export async function enqueueMail(trx: Kysely<DatabaseSchema>, message: OutboxMessage): Promise<Enqueued> {
  const [first] = await enqueueMany(trx, [message]);
  if (!first) throw new Error('enqueueMail: nothing enqueued');
  return first;
}

export async function enqueueMany(trx: Kysely<DatabaseSchema>, messages: OutboxMessage[]): Promise<Enqueued[]> {
  for (const [i, m] of messages.entries()) checkMessage(m, messages.length > 1 ? `/${i}` : '');
  const keys = messages.map((m) => m.idempotencyKey ?? `auto:${randomUUID()}`);
  const addresses = [...new Set(messages.map((m) => normalizeAddress(m.to)))];
  const suppressed = new Set<string>();
  for (let i = 0; i < addresses.length; i += 500) {
    const rows = await trx
      .selectFrom('mail_suppressions')
      .select('address')
      .where('address', 'in', addresses.slice(i, i + 500))
      .execute();
    for (const r of rows) suppressed.add(r.address);
  }
  const now = new Date().toISOString();
  const rows = messages.map((m, i) => {
    const address = normalizeAddress(m.to);
    const valid = isValidAddress(m.to.trim());
    const status: MailStatus = !valid ? 'failed' : suppressed.has(address) ? 'suppressed' : 'pending';
    const payload: StoredPayload = {
      ...(m.from ? { from: m.from } : {}),
      ...(m.toName ? { toName: m.toName } : {}),
      text: m.text,
      ...(m.html === undefined ? {} : { html: m.html }),
      ...(m.headers ? { headers: m.headers } : {}),
      attachments: (m.attachments ?? []).map((a) => ({
        filename: a.filename,
        contentType: a.contentType,
        base64: a.content.toString('base64'),
        ...(a.cid ? { cid: a.cid } : {}),
      })),
    };
    return {
      message_id: `<${randomUUID()}@${messageIdDomain(m.from)}>`,
      idempotency_key: keys[i] as string,
      batch_id: m.batchId ?? null,
      kind: m.kind ?? 'mail',
      recipient: m.to.trim(),
      domain: domainOf(m.to),
      subject: m.subject,
      payload: JSON.stringify(payload),
      status,
      last_error: !valid ? 'invalid recipient address' : status === 'suppressed' ? 'address is on the suppression list' : null,
      next_attempt_at: now,
      created_at: now,
      updated_at: now,
    };
  });
  for (let i = 0; i < rows.length; i += 200) {
    await trx
      .insertInto('mail_outbox')
      .values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .execute();
  }
  const found = new Map<string, Enqueued>();
  for (let i = 0; i < keys.length; i += 500) {
    const stored = await trx
      .selectFrom('mail_outbox')
      .select(['id', 'message_id', 'recipient', 'status', 'idempotency_key'])
      .where('idempotency_key', 'in', keys.slice(i, i + 500))
      .execute();
    for (const r of stored) found.set(r.idempotency_key, { id: Number(r.id), messageId: r.message_id, recipient: r.recipient, status: r.status });
  }
  return keys.map((k) => found.get(k)).filter((e): e is Enqueued => e !== undefined);
}

function checkMessage(m: OutboxMessage, at: string): void {
  const issues = [];
  if (typeof m.to !== 'string' || m.to.trim() === '') issues.push({ field: `${at}/to`, message: 'is required' });
  if (typeof m.subject !== 'string' || m.subject.length > MAX_HEADER || /[\r\n]/.test(m.subject))
    issues.push({ field: `${at}/subject`, message: 'must be one line of at most 998 characters' });
  if (typeof m.text !== 'string') issues.push({ field: `${at}/text`, message: 'is required' });
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    if (!/^[A-Za-z0-9-]{1,76}$/.test(name) || /[\r\n]/.test(value))
      issues.push({ field: `${at}/headers/${name}`, message: 'header names are letters, digits and dashes; values are one line' });
  }
  if (m.idempotencyKey !== undefined && (m.idempotencyKey.length === 0 || m.idempotencyKey.length > 500))
    issues.push({ field: `${at}/idempotencyKey`, message: 'must be 1..500 characters' });
  if (issues.length > 0) throw new ValidationError('invalid mail message', issues);
}

function messageIdDomain(from: string | undefined): string {
  const domain = from ? /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] : undefined;
  return domain ?? 'ai-stack.invalid';
}

/** The stored row as the message a transport sends. */
export function toOutgoing(row: OutboxRow, defaultFrom: string): OutgoingMessage {
  const payload = JSON.parse(row.payload) as StoredPayload;
  return {
    messageId: row.message_id,
    from: payload.from ?? defaultFrom,
    to: payload.toName ? { name: payload.toName, address: row.recipient } : row.recipient,
    subject: row.subject,
    text: payload.text,
    ...(payload.html === undefined ? {} : { html: payload.html }),
    ...(payload.headers ? { headers: payload.headers } : {}),
    attachments: payload.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: Buffer.from(a.base64, 'base64'),
      ...(a.cid ? { cid: a.cid } : {}),
    })),
  };
}
