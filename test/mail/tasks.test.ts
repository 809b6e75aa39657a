import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../../src/mail/index.ts';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp.ts';

const SECRET = 'x'.repeat(40);

/** The seed's `emails` tasks, called with .delay() on the running service, counted at a real SMTP server. */
describe.each(DIALECTS)('emails tasks in the service (%s)', (dialect) => {
  let smtp: TestSmtpServer;
  let svc: TestService;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    svc = await startTestService(dialect, {
      AI_STACK_SMTP_URL: smtp.url,
      AI_STACK_MAIL_FROM: 'Reports <reports@example.com>',
      AI_STACK_PUBLIC_URL: 'https://ai.example.com',
      AI_STACK_MAIL_SECRET: SECRET,
      AI_STACK_MAIL_RETRY_BASE_MS: '10',
    });
    await svc.runtime.startBackground();
  });
  afterAll(async () => {
    await svc.cleanup();
    await smtp.close();
  });

  const send = async (name: string, args: unknown) => {
    const handle = await svc.runtime.tasks.system.send(name, args);
    return handle.get({ timeout: 30_000 }) as Promise<{
      batchId: string;
      sent: number;
      failed: number;
      suppressed: number;
      messages: { to: string; messageId: string; status: string }[];
    }>;
  };

  it('send_email returns at once and delivers through the outbox; re-running the same idempotency key sends nothing new', async () => {
    const result = await send('emails.send_email', {
      to: 'one@example.com',
      subject: '你好，世界',
      text: 'plain body',
      idempotencyKey: 'order-42-confirmation',
    });
    expect(result).toMatchObject({ batchId: 'order-42-confirmation', sent: 1, failed: 0 });
    const again = await send('emails.send_email', {
      to: 'one@example.com',
      subject: '你好，世界',
      text: 'plain body',
      idempotencyKey: 'order-42-confirmation',
    });
    expect(again.messages[0]!.messageId).toBe(result.messages[0]!.messageId);
    expect(smtp.countFor('one@example.com')).toBe(1);
    const parsed = await simpleParser(smtp.messages.find((m) => m.to.includes('one@example.com'))!.raw);
    expect(parsed.subject).toBe('你好，世界');
  });

  it('send_bulk_emails personalises per recipient, adds one-click List-Unsubscribe, and the suppression holds for later sends', async () => {
    const recipients = [
      { to: 'wang@example.com', name: '王芳', locale: 'zh-CN' },
      { to: 'bob@example.org', name: 'Bob' },
      { to: 'broken-address', name: 'X' },
    ];
    const result = await send('emails.send_bulk_emails', { template: 'newsletter', vars: { title: 'November', body: 'News' }, recipients, batchId: 'nl-1' });
    expect(result).toMatchObject({ sent: 2, failed: 1, suppressed: 0 });
    const wang = await simpleParser(smtp.messages.find((m) => m.to.includes('wang@example.com'))!.raw);
    expect(wang.text).toContain('王芳，您好');
    const bob = await simpleParser(smtp.messages.find((m) => m.to.includes('bob@example.org'))!.raw);
    expect(bob.text).toContain('Hello Bob');
    const line = (key: string) => bob.headerLines.find((h) => h.key === key)?.line ?? '';
    expect(line('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    const link = /<(https:\/\/ai\.example\.com\/mail\/unsubscribe\?token=[^>]+)>/.exec(line('list-unsubscribe'))![1]!;
    expect(bob.messageId).toMatch(/@example\.com>$/);

    // The mail client's one-click POST (RFC 8058), against this service instead of the public URL.
    const path = link.replace('https://ai.example.com', '');
    const page = await svc.call(path, { key: null });
    expect(page.status).toBe(200);
    expect(await svc.call('/mail/suppressions', { key: null })).toHaveProperty('status', 404);
    const forged = await svc.call(
      path.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
      { method: 'POST', key: null, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' },
    );
    expect(forged.status).toBe(400);
    expect(forged.headers.get('content-type')).toContain('application/problem+json');
    const click = await svc.call(path, {
      method: 'POST',
      key: null,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(click.status).toBe(200);
    const list = await (await svc.call('/admin/mail/suppressions')).json();
    expect(list.items.map((i: { address: string }) => i.address)).toContain('bob@example.org');

    const later = await send('emails.send_bulk_emails', {
      template: 'newsletter',
      vars: { title: 'December', body: 'More' },
      recipients: recipients.slice(0, 2),
      batchId: 'nl-2',
    });
    expect(later).toMatchObject({ sent: 1, suppressed: 1 });
    expect(smtp.countFor('bob@example.org')).toBe(1);
    expect(smtp.countFor('wang@example.com')).toBe(2);
    const outbox = await (await svc.call('/admin/mail/outbox?batch_id=nl-1')).json();
    expect(outbox.items.map((r: { recipient: string; status: string }) => [r.recipient, r.status])).toEqual([
      ['wang@example.com', 'sent'],
      ['bob@example.org', 'sent'],
      ['broken-address', 'failed'],
    ]);
  });

  it('send_report_email attaches CSV byte-identical; send_alert_email renders the alert template', async () => {
    const rows = [
      ['华东', 1200.5],
      ['华北', 980],
    ];
    const result = await send('emails.send_report_email', {
      to: 'cfo@example.com',
      report_name: '销售月报',
      period: '2026-11',
      locale: 'zh-CN',
      csv: [{ filename: '销售.csv', columns: ['区域', '金额'], rows }],
    });
    expect(result.sent).toBe(1);
    const report = await simpleParser(smtp.messages.find((m) => m.to.includes('cfo@example.com'))!.raw);
    expect(report.subject).toBe('报表：销售月报（2026-11）');
    expect(report.attachments[0]!.filename).toBe('销售.csv');
    expect(Buffer.compare(report.attachments[0]!.content, toCsv(['区域', '金额'], rows))).toBe(0);

    await send('emails.send_alert_email', {
      to: 'ops@example.com',
      rule: 'queue backlog',
      severity: 'critical',
      state: 'firing',
      summary: 'emails: 5000 waiting',
    });
    const alert = await simpleParser(smtp.messages.find((m) => m.to.includes('ops@example.com'))!.raw);
    expect(alert.subject).toBe('[firing] queue backlog (critical)');
    expect(alert.text).toContain('emails: 5000 waiting');
  });

  it('refuses bad arguments at .delay() and a missing template variable without sending', async () => {
    await expect(svc.runtime.tasks.system.send('emails.send_email', { to: 'a@example.com', subject: 1 })).rejects.toThrow();
    const handle = await svc.runtime.tasks.system.send('emails.send_email', { to: 'a@example.com', template: 'report', vars: { report_name: 'x' } });
    await expect(handle.get({ timeout: 30_000 })).rejects.toThrow(/period/);
    expect(smtp.countFor('a@example.com')).toBe(0);
  });

  it('previews a template through the admin API; a missing variable is a 400 problem', async () => {
    const ok = await svc.call('/admin/mail/preview', {
      method: 'POST',
      json: { template: 'alert', locale: 'zh-CN', vars: { rule: '磁盘', severity: 'warning', state: 'resolved', summary: '恢复' } },
    });
    expect(ok.status).toBe(200);
    const body = await ok.json();
    expect(body.subject).toBe('[resolved] 告警：磁盘（warning）');
    expect(body.html).toContain('style=');
    const bad = await svc.call('/admin/mail/preview', { method: 'POST', json: { template: 'alert', vars: { rule: 'x' } } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).detail ?? '').toMatch(/severity/);
    expect((await svc.call('/admin/mail/preview', { method: 'POST', json: { template: 'alert' }, key: null })).status).toBe(401);
  });
});

describe('the embedded .eml outbox', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('sqlite');
    await svc.runtime.startBackground();
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  it('writes every message as an .eml file listed and readable through the admin API', async () => {
    const handle = await svc.runtime.tasks.system.send('emails.send_email', { to: 'someone@example.com', subject: '测试', text: 'hello' });
    const result = (await handle.get({ timeout: 30_000 })) as { messages: { messageId: string }[] };
    const files = await (await svc.call('/admin/mail/outbox/files')).json();
    expect(files.transport).toBe('eml');
    expect(files.files).toHaveLength(1);
    const raw = await svc.call(`/admin/mail/outbox/files/${files.files[0].file}`);
    expect(raw.headers.get('content-type')).toContain('message/rfc822');
    const parsed = await simpleParser(Buffer.from(await raw.arrayBuffer()));
    expect(parsed.messageId).toBe(result.messages[0]!.messageId);
    expect(parsed.subject).toBe('测试');
    expect((await svc.call('/admin/mail/outbox/files/..%2F..%2Fetc%2Fpasswd.eml')).status).toBe(400);
  });

  it('lists the outbox newest first on request, paging back with before_id', async () => {
    for (const subject of ['second', 'third'])
      await (await svc.runtime.tasks.system.send('emails.send_email', { to: 'b@example.com', subject, text: 'x' })).get({ timeout: 30_000 });
    const newest = (await (await svc.call('/admin/mail/outbox?order=desc&limit=2')).json()).items as { id: number; subject: string }[];
    expect(newest.map((m) => m.subject)).toEqual(['third', 'second']);
    const older = (await (await svc.call(`/admin/mail/outbox?order=desc&before_id=${newest[1]!.id}`)).json()).items as { subject: string }[];
    expect(older.map((m) => m.subject)).toEqual(['测试']);
    expect((await svc.call('/admin/mail/outbox?order=sideways')).status).toBe(400);
  });
});
