import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import {
  BUILTIN_TEMPLATES,
  createMailService,
  enqueueMail,
  enqueueMany,
  TemplateError,
  TemplateRegistry,
  toCsv,
  type MailService,
} from '../../src/mail/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/wait.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp.ts';

const CSV_BYTES = toCsv(
  ['客户', 'amount'],
  [
    ['北京分公司', 12.5],
    ['=cmd', null],
    ['a,"b"', 3],
  ],
);

describe.each(DIALECTS)('mail outbox and delivery over real SMTP (%s)', (dialect) => {
  let smtp: TestSmtpServer;
  let t: TestDatabase;
  let mail: MailService;
  let dataDir: string;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
  });
  afterAll(async () => {
    await smtp.close();
  });
  beforeEach(async () => {
    smtp.messages.length = 0;
    smtp.setPolicy(undefined);
    t = await openTestDatabase(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-mail-'));
    const config = loadConfig({
      AI_STACK_SMTP_URL: smtp.url,
      AI_STACK_MAIL_FROM: '"AI 助手" <noreply@example.com>',
      AI_STACK_MAIL_RETRY_BASE_MS: '1',
      AI_STACK_MAIL_RATE_PER_DOMAIN: '100000',
    }).mail;
    mail = createMailService({ db: t.db, config, dataDir, logger: silentLogger });
  });
  afterEach(async () => {
    await mail.close();
    await t.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('enqueues in the business transaction: a rollback leaves no message, a commit leaves exactly one', async () => {
    await expect(
      t.db.kysely.transaction().execute(async (trx) => {
        await trx
          .insertInto('customers')
          .values({ code: 'C-1', name: 'ACME', country: 'CN', segment: 'retail', credit_limit_cents: 0, payment_terms_days: 30 })
          .execute();
        await enqueueMail(trx, { to: 'a@example.com', subject: 'Welcome', text: 'hi' });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await t.db.kysely.selectFrom('mail_outbox').selectAll().execute()).toHaveLength(0);

    await t.db.kysely.transaction().execute(async (trx) => {
      await trx
        .insertInto('customers')
        .values({ code: 'C-1', name: 'ACME', country: 'CN', segment: 'retail', credit_limit_cents: 0, payment_terms_days: 30 })
        .execute();
      await enqueueMail(trx, { to: 'a@example.com', subject: 'Welcome', text: 'hi', idempotencyKey: 'welcome:C-1' });
      await enqueueMail(trx, { to: 'a@example.com', subject: 'Welcome', text: 'hi', idempotencyKey: 'welcome:C-1' });
    });
    expect(await t.db.kysely.selectFrom('mail_outbox').selectAll().execute()).toHaveLength(1);
    expect(await mail.delivery.deliver()).toEqual({ sent: 1, failed: 0, deferred: 0, suppressed: 0 });
    expect(await mail.delivery.deliver()).toEqual({ sent: 0, failed: 0, deferred: 0, suppressed: 0 });
    expect(smtp.countFor('a@example.com')).toBe(1);
  });

  it('delivers headers, both parts, a byte-identical attachment and Chinese text, read back by an independent parser', async () => {
    const rendered = mail.templates.render('report', 'zh-CN', { report_name: '月度销售', period: '2026年11月' });
    const queued = await enqueueMail(t.db.kysely, {
      to: 'boss@example.com',
      toName: '张经理',
      ...rendered,
      attachments: [{ filename: '销售数据.csv', contentType: 'text/csv; charset=utf-8', content: CSV_BYTES }],
    });
    await mail.delivery.deliver();
    expect(smtp.messages).toHaveLength(1);
    const raw = smtp.messages[0]!.raw;
    // RFC 2047: no raw 8-bit bytes in the Subject / From / To headers.
    const head = raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('latin1');
    expect(head).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/im);
    expect(/[\x80-\xff]/.test(head)).toBe(false);
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe('报表：月度销售（2026年11月）');
    expect(parsed.messageId).toBe(queued.messageId);
    expect(parsed.from?.value[0]).toEqual({ name: 'AI 助手', address: 'noreply@example.com' });
    const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
    expect(to?.value[0]).toEqual({ name: '张经理', address: 'boss@example.com' });
    expect(parsed.text).toContain('2026年11月 的报表见附件');
    expect(parsed.html).toContain('月度销售');
    expect(parsed.html).toMatch(/<h1 style="[^"]*font-size: 20px/);
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]!.filename).toBe('销售数据.csv');
    expect(Buffer.compare(parsed.attachments[0]!.content, CSV_BYTES)).toBe(0);
    expect(CSV_BYTES.toString('utf8')).toContain("'=cmd");
  });

  it('retries a 451 with backoff and delivers once; a 550 fails at once and is recorded for that recipient only', async () => {
    smtp.setPolicy((address, attempt) => {
      if (address === 'busy@example.com' && attempt === 1) return { code: 451, message: 'try again later' };
      if (address === 'gone@example.com') return { code: 550, message: 'no such user' };
      return undefined;
    });
    await enqueueMany(
      t.db.kysely,
      ['busy@example.com', 'gone@example.com', 'ok@example.com', 'not-an-address'].map((to) => ({ to, subject: 's', text: 't' })),
    );
    // With AI_STACK_MAIL_RETRY_BASE_MS=1 the deferred row is due again at once: one deliver() call may retry it.
    let total = { sent: 0, failed: 0, deferred: 0, suppressed: 0 };
    await eventually(async () => {
      const s = await mail.delivery.deliver();
      total = { sent: total.sent + s.sent, failed: total.failed + s.failed, deferred: total.deferred + s.deferred, suppressed: 0 };
      return total.sent === 2;
    });
    expect(total).toEqual({ sent: 2, failed: 1, deferred: 1, suppressed: 0 });
    expect(await mail.delivery.deliver()).toEqual({ sent: 0, failed: 0, deferred: 0, suppressed: 0 });
    const rows = await t.db.kysely.selectFrom('mail_outbox').select(['recipient', 'status', 'attempts', 'response_code', 'last_error']).orderBy('id').execute();
    expect(rows).toEqual([
      { recipient: 'busy@example.com', status: 'sent', attempts: 2, response_code: 250, last_error: null },
      { recipient: 'gone@example.com', status: 'failed', attempts: 1, response_code: 550, last_error: expect.stringContaining('no such user') },
      { recipient: 'ok@example.com', status: 'sent', attempts: 1, response_code: 250, last_error: null },
      { recipient: 'not-an-address', status: 'failed', attempts: 0, response_code: null, last_error: 'invalid recipient address' },
    ]);
    expect(smtp.countFor('busy@example.com')).toBe(1);
    expect(smtp.countFor('gone@example.com')).toBe(0);
  });

  it('gives up after the configured attempts on a server that keeps deferring', async () => {
    smtp.setPolicy(() => ({ code: 421, message: 'service not available' }));
    await enqueueMail(t.db.kysely, { to: 'x@example.com', subject: 's', text: 't' });
    for (let i = 0; i < 8; i++) {
      await mail.delivery.deliver();
      await new Promise((r) => setTimeout(r, 2 ** i + 1));
    }
    const row = await t.db.kysely.selectFrom('mail_outbox').selectAll().executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.attempts).toBe(mail.config.maxAttempts);
  });

  it('honours the suppression list at enqueue time and again at send time', async () => {
    await mail.suppress('Early@Example.com', 'test');
    await enqueueMany(t.db.kysely, [
      { to: 'early@example.com', subject: 's', text: 't' },
      { to: 'late@example.com', subject: 's', text: 't' },
    ]);
    await mail.suppress('late@example.com', 'unsubscribed after enqueueing');
    expect(await mail.delivery.deliver()).toEqual({ sent: 0, failed: 0, deferred: 0, suppressed: 1 });
    const statuses = await t.db.kysely.selectFrom('mail_outbox').select(['recipient', 'status']).orderBy('id').execute();
    expect(statuses).toEqual([
      { recipient: 'early@example.com', status: 'suppressed' },
      { recipient: 'late@example.com', status: 'suppressed' },
    ]);
    expect(smtp.messages).toHaveLength(0);
  });

  it('a message is accepted only after the previous message of its lane was recorded: at most one accepted and unrecorded per lane', async () => {
    await enqueueMany(
      t.db.kysely,
      Array.from({ length: 80 }, (_, i) => ({ to: `r${i}@example.com`, subject: `n${i}`, text: 't' })),
    );
    // Just before the server accepts a message, every lane but this message's may hold one accepted message it has not recorded yet.
    const unrecorded: number[] = [];
    smtp.setBeforeAccept(async () => {
      // Counted before the query: messages accepted meanwhile on other connections can only lower the figure.
      const accepted = smtp.messages.length;
      const row = await t.db.kysely
        .selectFrom('mail_outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'sent')
        .executeTakeFirstOrThrow();
      unrecorded.push(accepted - Number(row.n));
    });
    try {
      expect((await mail.delivery.deliver()).sent).toBe(80);
    } finally {
      smtp.setBeforeAccept(undefined);
    }
    expect(unrecorded).toHaveLength(80);
    expect(Math.max(...unrecorded)).toBeLessThanOrEqual(mail.transport.concurrency - 1);
  });

  it('two deliverers on one outbox send every message exactly once', async () => {
    const other = createMailService({ db: t.db, config: mail.config, dataDir, logger: silentLogger });
    await enqueueMany(
      t.db.kysely,
      Array.from({ length: 60 }, (_, i) => ({ to: `u${i}@example.com`, subject: `n${i}`, text: 't' })),
    );
    const [a, b] = await Promise.all([mail.delivery.deliver(), other.delivery.deliver()]);
    await other.close();
    expect(a.sent + b.sent).toBe(60);
    for (let i = 0; i < 60; i++) expect(smtp.countFor(`u${i}@example.com`)).toBe(1);
  });

  // SQLite's planner has no statistics here: given `status = ?` beside `id in (…)` it took the status index
  // and scanned every row in flight (every stale row after a crash) for each record.
  it.runIf(dialect === 'sqlite')('records outcomes by primary key, not by scanning the rows in flight', async () => {
    const recorded: string[] = [];
    const hook = t.db.timing.onQuery;
    t.db.timing.onQuery = (text, ...rest) => {
      if (/^update "mail_outbox" set "status" = \?, "sent_at"/.test(text)) recorded.push(text);
      hook?.(text, ...rest);
    };
    try {
      await enqueueMany(t.db.kysely, [
        { to: 'p1@example.com', subject: 's', text: 't' },
        { to: 'p2@example.com', subject: 's', text: 't' },
      ]);
      expect((await mail.delivery.deliver()).sent).toBe(2);
    } finally {
      t.db.timing.onQuery = hook;
    }
    expect(recorded.length).toBeGreaterThan(0);
    if (t.db.native.dialect !== 'sqlite') throw new Error('expected SQLite');
    for (const text of new Set(recorded)) {
      const plan = t.db.native.sqlite.writer.db.prepare(`explain query plan ${text}`).all() as { detail: string }[];
      expect(plan.map((p) => p.detail).join(' | ')).toMatch(/^SEARCH mail_outbox USING INTEGER PRIMARY KEY \(rowid=\?\)$/);
    }
  });

  it('refuses header injection and oversized subjects at the boundary, storing nothing', async () => {
    await expect(enqueueMail(t.db.kysely, { to: 'a@example.com', subject: 'hi\r\nBcc: victim@example.com', text: 't' })).rejects.toThrow(
      /invalid mail message/,
    );
    await expect(enqueueMail(t.db.kysely, { to: 'a@example.com', subject: 's', text: 't', headers: { 'X-A': 'v\r\nBcc: x@y.z' } })).rejects.toThrow(
      /invalid mail message/,
    );
    await expect(enqueueMail(t.db.kysely, { to: 'a@example.com', subject: 'x'.repeat(2000), text: 't' })).rejects.toThrow(/invalid mail message/);
    expect(await t.db.kysely.selectFrom('mail_outbox').selectAll().execute()).toHaveLength(0);
  });
});

describe('mail templates', () => {
  const mail = { templates: new TemplateRegistry(BUILTIN_TEMPLATES) };

  it('renders HTML with inlined CSS and a text part from one template, in both languages', () => {
    const en = mail.templates.render('alert', 'en', { rule: 'queue backlog', severity: 'critical', state: 'firing', summary: '5 000 jobs <waiting>' });
    expect(en.subject).toBe('[firing] queue backlog (critical)');
    expect(en.html).not.toContain('<style>');
    expect(en.html).toMatch(/class="badge firing" style="[^"]*background: #e12d39/);
    expect(en.html).toContain('5 000 jobs &lt;waiting&gt;');
    expect(en.text).toContain('5 000 jobs <waiting>');
    const zh = mail.templates.render('newsletter', 'zh-CN', { name: '李雷', title: '新功能', body: '欢迎使用' });
    expect(zh.text).toContain('李雷，您好');
  });

  it('a missing variable is an error naming it, not an empty string', () => {
    expect(() => mail.templates.render('report', 'en', { report_name: 'Sales' })).toThrow(TemplateError);
    expect(() => mail.templates.render('report', 'en', { report_name: 'Sales' })).toThrow(/period/);
    mail.templates.register({ name: 'nested', variables: [], locales: { en: { subject: 'x', html: '<p>{{user.name}}</p>' } } });
    expect(() => mail.templates.render('nested', 'en', { user: {} })).toThrow(/variable "name" is missing/);
    expect(() => mail.templates.render('nope', 'en', {})).toThrow(/unknown template/);
  });
});
