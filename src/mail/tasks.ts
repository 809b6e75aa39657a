import { Type, type Static } from 'typebox';
import { defineTask, type ScheduleSpec, type TaskContext, type TaskDefinition } from '../tasks/index.ts';
import { ValidationError } from '../shared/errors.ts';
import { MailDeferredError } from './errors.ts';
import type { MailAttachment } from './message.ts';
import { enqueueMany, type OutboxMessage } from './outbox.ts';
import { toCsv } from './csv.ts';
import type { MailService } from './service.ts';
import { LOCALES } from './templates.ts';

export const SEND_EMAIL_TASK = 'emails.send_email';
export const SEND_BULK_EMAILS_TASK = 'emails.send_bulk_emails';
export const SEND_REPORT_EMAIL_TASK = 'emails.send_report_email';
export const SEND_ALERT_EMAIL_TASK = 'emails.send_alert_email';
export const DELIVER_OUTBOX_TASK = 'emails.deliver_outbox';

const Address = Type.String({ minLength: 3, maxLength: 254 });
const LocaleSchema = Type.Union(LOCALES.map((l) => Type.Literal(l)));
const Vars = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown());
const Attachment = Type.Object(
  {
    filename: Type.String({ minLength: 1, maxLength: 200 }),
    contentType: Type.String({ minLength: 3, maxLength: 100 }),
    contentBase64: Type.String({ maxLength: 20 * 1024 * 1024 }),
    cid: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const SendEmailArgs = Type.Object(
  {
    to: Type.Union([Address, Type.Array(Address, { minItems: 1, maxItems: 100 })]),
    template: Type.Optional(Type.String({ maxLength: 64 })),
    locale: Type.Optional(LocaleSchema),
    vars: Type.Optional(Vars),
    subject: Type.Optional(Type.String({ maxLength: 998 })),
    text: Type.Optional(Type.String({ maxLength: 1024 * 1024 })),
    html: Type.Optional(Type.String({ maxLength: 1024 * 1024 })),
    from: Type.Optional(Type.String({ maxLength: 320 })),
    attachments: Type.Optional(Type.Array(Attachment, { maxItems: 20 })),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

const SendBulkArgs = Type.Object(
  {
    template: Type.String({ maxLength: 64 }),
    locale: Type.Optional(LocaleSchema),
    vars: Type.Optional(Vars),
    recipients: Type.Array(
      Type.Object(
        {
          to: Address,
          name: Type.Optional(Type.String({ maxLength: 200 })),
          locale: Type.Optional(LocaleSchema),
          vars: Type.Optional(Vars),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 100_000 },
    ),
    from: Type.Optional(Type.String({ maxLength: 320 })),
    /** Names the batch (its status, and de-duplication across re-submissions); default: the task id. */
    batchId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

const Csv = Type.Object(
  {
    filename: Type.String({ minLength: 1, maxLength: 200 }),
    columns: Type.Array(Type.String({ maxLength: 200 }), { minItems: 1, maxItems: 500 }),
    rows: Type.Array(Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])), { maxItems: 1_000_000 }),
  },
  { additionalProperties: false },
);

const SendReportArgs = Type.Object(
  {
    to: Type.Union([Address, Type.Array(Address, { minItems: 1, maxItems: 100 })]),
    report_name: Type.String({ minLength: 1, maxLength: 200 }),
    period: Type.String({ minLength: 1, maxLength: 100 }),
    locale: Type.Optional(LocaleSchema),
    csv: Type.Optional(Type.Array(Csv, { maxItems: 20 })),
    attachments: Type.Optional(Type.Array(Attachment, { maxItems: 20 })),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

const SendAlertArgs = Type.Object(
  {
    to: Type.Union([Address, Type.Array(Address, { minItems: 1, maxItems: 100 })]),
    rule: Type.String({ minLength: 1, maxLength: 200 }),
    severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
    state: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    summary: Type.String({ maxLength: 10_000 }),
    locale: Type.Optional(LocaleSchema),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export interface MailTaskResult {
  batchId: string;
  sent: number;
  failed: number;
  suppressed: number;
  /** Each recipient's Message-ID and final status (left out above 1000 recipients: see the outbox listing). */
  messages: { to: string; messageId: string; status: string }[];
}

type Retries = { max: number; backoff: { delayMs: number; jitter: false } };

/** The seed's four `emails` tasks plus the outbox drain that Beat runs. */
export function createMailTasks(mail: MailService): { tasks: TaskDefinition[]; schedules: ScheduleSpec[] } {
  // Same doubling as the outbox rows' next_attempt_at, no jitter: a retried task finds its deferred rows due.
  const retries: Retries = { max: mail.config.maxAttempts, backoff: { delayMs: mail.config.retryBaseMs, jitter: false } };
  const common = { queue: 'emails', retries: { ...retries, autoretryFor: [MailDeferredError] } };

  const sendEmail = defineTask(SEND_EMAIL_TASK, { ...common, args: SendEmailArgs }, async (args, ctx) => {
    const batchId = args.idempotencyKey ?? `task:${ctx.id}`;
    const rendered = renderOrLiteral(mail, args);
    const attachments = (args.attachments ?? []).map(decodeAttachment);
    const messages = recipients(args.to).map((to): OutboxMessage => ({
      to,
      ...rendered,
      from: args.from ?? mail.config.from,
      attachments,
      kind: 'send_email',
      batchId,
      idempotencyKey: `${batchId}:${to.toLowerCase()}`,
    }));
    return enqueueAndDeliver(mail, batchId, messages, ctx);
  });

  const sendBulk = defineTask(SEND_BULK_EMAILS_TASK, { ...common, args: SendBulkArgs, timeLimit: { soft: 24 * 3600_000 } }, async (args, ctx) => {
    const batchId = args.batchId ?? `task:${ctx.id}`;
    mail.templates.get(args.template);
    const messages = args.recipients.map((r): OutboxMessage => {
      const rendered = mail.templates.render(args.template, r.locale ?? args.locale ?? 'en', { ...args.vars, ...(r.name ? { name: r.name } : {}), ...r.vars });
      return {
        to: r.to,
        ...(r.name ? { toName: r.name } : {}),
        ...rendered,
        from: args.from ?? mail.config.from,
        headers: mail.unsubscribeHeaders(r.to),
        kind: 'send_bulk_emails',
        batchId,
        idempotencyKey: `${batchId}:${r.to.toLowerCase()}`,
      };
    });
    return enqueueAndDeliver(mail, batchId, messages, ctx);
  });

  const sendReport = defineTask(SEND_REPORT_EMAIL_TASK, { ...common, args: SendReportArgs }, async (args, ctx) => {
    const batchId = args.idempotencyKey ?? `task:${ctx.id}`;
    const rendered = mail.templates.render('report', args.locale ?? 'en', { report_name: args.report_name, period: args.period });
    const attachments: MailAttachment[] = [
      ...(args.csv ?? []).map((c) => ({ filename: c.filename, contentType: 'text/csv; charset=utf-8', content: toCsv(c.columns, c.rows) })),
      ...(args.attachments ?? []).map(decodeAttachment),
    ];
    const messages = recipients(args.to).map((to): OutboxMessage => ({
      to,
      ...rendered,
      from: mail.config.from,
      attachments,
      kind: 'send_report_email',
      batchId,
      idempotencyKey: `${batchId}:${to.toLowerCase()}`,
    }));
    return enqueueAndDeliver(mail, batchId, messages, ctx);
  });

  const sendAlert = defineTask(SEND_ALERT_EMAIL_TASK, { ...common, args: SendAlertArgs }, async (args, ctx) => {
    const batchId = args.idempotencyKey ?? `task:${ctx.id}`;
    const rendered = mail.templates.render('alert', args.locale ?? 'en', {
      rule: args.rule,
      severity: args.severity,
      state: args.state,
      summary: args.summary,
    });
    const messages = recipients(args.to).map((to): OutboxMessage => ({
      to,
      ...rendered,
      from: mail.config.from,
      kind: 'send_alert_email',
      batchId,
      idempotencyKey: `${batchId}:${to.toLowerCase()}`,
    }));
    return enqueueAndDeliver(mail, batchId, messages, ctx);
  });

  const deliverOutbox = defineTask(
    DELIVER_OUTBOX_TASK,
    { queue: 'emails', args: Type.Object({}, { additionalProperties: false }), dedupe: true },
    async (_args, ctx) => mail.delivery.deliver({ signal: ctx.signal }),
  );

  return {
    tasks: [sendEmail, sendBulk, sendReport, sendAlert, deliverOutbox] as TaskDefinition[],
    schedules: [{ id: 'emails.deliver_outbox.every-30s', task: DELIVER_OUTBOX_TASK, args: {}, every: 30_000 }],
  };
}

function recipients(to: string | string[]): string[] {
  return [...new Set(Array.isArray(to) ? to : [to])];
}

function decodeAttachment(a: Static<typeof Attachment>): MailAttachment {
  return { filename: a.filename, contentType: a.contentType, content: Buffer.from(a.contentBase64, 'base64'), ...(a.cid ? { cid: a.cid } : {}) };
}

function renderOrLiteral(mail: MailService, args: Static<typeof SendEmailArgs>): { subject: string; text: string; html?: string } {
  if (args.template !== undefined) return mail.templates.render(args.template, args.locale ?? 'en', args.vars ?? {});
  if (args.subject === undefined || (args.text === undefined && args.html === undefined)) {
    throw new ValidationError('send_email needs either `template` (with `vars`) or `subject` with `text` and/or `html`', [
      { field: '/template', message: 'or subject + text/html' },
    ]);
  }
  const text = args.text ?? mail.templates.textOf(args.html as string);
  return { subject: args.subject, text, ...(args.html === undefined ? {} : { html: args.html }) };
}

async function enqueueAndDeliver(mail: MailService, batchId: string, messages: OutboxMessage[], ctx: TaskContext): Promise<MailTaskResult> {
  const db = mail.db.kysely;
  const total = messages.length;
  await ctx.progress({ done: 0, total }, 'queueing');
  // One transaction per chunk: a crash mid-way leaves whole chunks, and the re-run's idempotency keys skip them.
  for (let i = 0; i < messages.length; i += 1000) {
    const chunk = messages.slice(i, i + 1000);
    await db.transaction().execute((trx) => enqueueMany(trx, chunk));
  }
  const progress = sendProgress(ctx, total, total - (await mail.delivery.unfinished(batchId)));
  await mail.delivery.deliver({ batchId, signal: ctx.signal, onSettled: progress.settled });
  await progress.flushed();
  const rows = await db.selectFrom('mail_outbox').select(['recipient', 'message_id', 'status']).where('batch_id', '=', batchId).orderBy('id').execute();
  const pending = rows.filter((r) => r.status === 'pending' || r.status === 'sending').length;
  if (pending > 0) throw new MailDeferredError(pending);
  await ctx.progress({ done: total, total }, 'done');
  const count = (status: string) => rows.filter((r) => r.status === status).length;
  return {
    batchId,
    sent: count('sent'),
    failed: count('failed'),
    suppressed: count('suppressed'),
    messages: rows.length <= 1000 ? rows.map((r) => ({ to: r.recipient, messageId: r.message_id, status: r.status })) : [],
  };
}

/**
 * Progress of a batch's sending: rows already final (a retry finds some), then one more per settled row.
 * Reported when the whole percentage changes, so a batch of 100 000 writes the job about 100 times, in order.
 */
function sendProgress(ctx: TaskContext, total: number, alreadyDone: number): { settled: () => void; flushed: () => Promise<void> } {
  let done = Math.min(Math.max(alreadyDone, 0), total);
  let percent = -1;
  let chain = Promise.resolve();
  const report = () => {
    const now = total === 0 ? 100 : Math.floor((done * 100) / total);
    if (now === percent) return;
    percent = now;
    const value = { done, total };
    // A lost progress write must not fail the sending it describes.
    chain = chain.then(() => ctx.progress(value, 'sending')).catch(() => undefined);
  };
  report();
  return {
    settled() {
      done = Math.min(done + 1, total);
      report();
    },
    flushed: () => chain,
  };
}
