import { createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_KINDS, AlertRuleInput, SEVERITIES } from '../../src/alerts/rules.ts';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp.ts';
import { eventually } from '../support/wait.ts';
import { startReceiver } from './receiver.ts';

const WEBHOOK_SECRET = 'w'.repeat(16) + 'e'.repeat(16) + 'bhook';

/** The receiver's own check of the signature, written from the documented scheme (not with src/alerts). */
function validSignature(headers: Record<string, string | string[] | undefined>, body: string): boolean {
  const timestamp = String(headers['x-ai-stack-timestamp']);
  const expected = `v1=${createHmac('sha256', WEBHOOK_SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
  return headers['x-ai-stack-signature'] === expected && Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
}

// The input schema spells its literals out (for the emitted .d.ts): they must be the lists the console offers.
it('the rule schema accepts exactly the kinds and severities of src/alerts/kinds.ts', () => {
  const literals = (schema: unknown) => ((schema as { anyOf: { const: string }[] }).anyOf ?? []).map((member) => member.const);
  expect(literals(AlertRuleInput.properties.kind)).toEqual([...ALERT_KINDS]);
  expect(literals(AlertRuleInput.properties.severity)).toEqual([...SEVERITIES]);
});

describe.each(DIALECTS)('alerts (%s)', (dialect) => {
  let smtp: TestSmtpServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let svc: TestService;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    receiver = await startReceiver();
    // Workers deliver the alert mail; no scheduler, so Beat's own evaluation never races the test's explicit ones.
    svc = await startTestService(
      dialect,
      {
        AI_STACK_SMTP_URL: smtp.url,
        AI_STACK_MAIL_RETRY_BASE_MS: '10',
        AI_STACK_OUTBOUND_ALLOW: '127.0.0.1',
        AI_STACK_BACKUP_CRON: 'off',
      },
      { roles: ['api', 'worker'] },
    );
    await svc.runtime.startBackground();
  });
  afterAll(async () => {
    await svc.cleanup();
    await receiver.close();
    await smtp.close();
  });

  const evaluate = async () =>
    ((await (await svc.call('/admin/alerts/evaluate', { method: 'POST' })).json()) as { results: Array<{ rule: string; outcome: string }> }).results;

  it('one alert per incident and one "resolved", by email and signed webhook; the cool-down holds a relapse back', async () => {
    const created = await svc.call('/admin/alerts/rules', {
      method: 'POST',
      json: {
        name: 'backups',
        kind: 'backup_age_hours',
        threshold: 24,
        severity: 'critical',
        cooldown_seconds: 3600,
        emails: ['ops@example.com'],
        webhook: { url: `${receiver.url}/hook`, secret: WEBHOOK_SECRET },
      },
    });
    expect(created.status).toBe(201);
    const rule = await created.json();
    expect(rule.webhook).toEqual({ url: `${receiver.url}/hook`, secret: '(set)' });
    expect(JSON.stringify(await (await svc.call('/admin/alerts/rules')).json())).not.toContain(WEBHOOK_SECRET);

    // No backup yet: the rule fires once, however often it is evaluated.
    expect(await evaluate()).toEqual([{ rule: 'backups', value: expect.any(Number), outcome: 'opened' }]);
    expect((await evaluate())[0]?.outcome).toBe('firing');
    expect(receiver.calls).toHaveLength(1);
    const firing = receiver.calls[0]!;
    expect(validSignature(firing.headers, firing.body)).toBe(true);
    expect(JSON.parse(firing.body)).toMatchObject({ rule: 'backups', state: 'firing', severity: 'critical' });
    await eventually(() => smtp.countFor('ops@example.com') === 1, 20_000, 'the firing email');
    expect((await simpleParser(smtp.messages.at(-1)!.raw)).subject).toBe('[firing] backups (critical)');

    // A backup clears it: one "resolved" on both channels.
    await (await svc.runtime.tasks.system.send('sync.backup_data', {})).get({ timeout: 60_000 });
    expect((await evaluate())[0]?.outcome).toBe('resolved');
    expect((await evaluate())[0]?.outcome).toBe('ok');
    expect(receiver.calls.map((c) => JSON.parse(c.body).state)).toEqual(['firing', 'resolved']);
    expect(validSignature(receiver.calls[1]!.headers, receiver.calls[1]!.body)).toBe(true);
    await eventually(() => smtp.countFor('ops@example.com') === 2, 20_000, 'the resolved email');

    // It relapses within the cool-down: recorded as cooling, nobody is paged again.
    rmSync(join(svc.runtime.config.dataDir, 'backups'), { recursive: true, force: true });
    expect((await evaluate())[0]?.outcome).toBe('cooling');
    expect(receiver.calls).toHaveLength(2);
    const incidents = await (await svc.call(`/admin/alerts/incidents?rule_id=${rule.id}`)).json();
    expect(incidents.items).toHaveLength(1);
    expect(incidents.items[0]).toMatchObject({ rule: 'backups', resolved_at: expect.any(String), notify_errors: null });
    expect(smtp.countFor('ops@example.com')).toBe(2);
  });

  it('records a webhook aimed at the metadata service as refused, and validates rules as problem+json', async () => {
    const metadata = { url: 'http://169.254.169.254/latest/meta-data', secret: WEBHOOK_SECRET };
    const created = await svc.call('/admin/alerts/rules', {
      method: 'POST',
      json: { name: 'backlog', kind: 'queue_backlog', threshold: 1000, queue: 'reports', webhook: metadata },
    });
    expect(created.status).toBe(201);
    const { id } = await created.json();
    // Replaced by a rule that surely fires: less than 10^12 MB free on the data dir.
    const replaced = await svc.call(`/admin/alerts/rules/${id}`, {
      method: 'PUT',
      json: { name: 'backlog', kind: 'disk_free_mb', threshold: 1e12, webhook: metadata },
    });
    expect(await replaced.json()).toMatchObject({ id, kind: 'disk_free_mb', queue: null, severity: 'warning', cooldown_seconds: 300 });
    expect((await evaluate()).find((r) => r.rule === 'backlog')?.outcome).toBe('opened');
    const [incident] = (await (await svc.call(`/admin/alerts/incidents?rule_id=${id}`)).json()).items;
    expect(incident.notify_errors).toMatch(/^webhook: 169\.254\.169\.254 resolves to 169\.254\.169\.254, a loopback, private, link-local or metadata address/);

    const bad = await svc.call('/admin/alerts/rules', {
      method: 'POST',
      json: { name: 'x', kind: 'moon_phase', threshold: 1, webhook: { url: 'http://a.example', secret: 'short' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const duplicate = await svc.call('/admin/alerts/rules', { method: 'POST', json: { name: 'backlog', kind: 'failed_tasks', threshold: 0 } });
    expect(duplicate.status).toBe(409);
    expect((await duplicate.json()).detail).toContain('an alert rule named "backlog" exists already');
    expect((await svc.call('/admin/alerts/rules/999999')).status).toBe(404);
    expect((await svc.call('/admin/alerts/rules', { key: null })).status).toBe(401);
    expect((await svc.call(`/admin/alerts/rules/${id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('is evaluated by Beat: sync.evaluate_alerts is scheduled every minute', () => {
    expect(svc.runtime.tasks.schedules).toContainEqual(expect.objectContaining({ task: 'sync.evaluate_alerts', every: 60_000 }));
    expect(svc.runtime.tasks.system.definition('sync.evaluate_alerts')).toBeDefined();
  });
});
