import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../../src/config/index.ts';

describe('mail settings', () => {
  it('default to the embedded .eml outbox and validate every variable, naming it', () => {
    expect(loadConfig({}).mail).toMatchObject({ smtpUrl: null, publicUrl: null, secret: undefined, ratePerDomainPerSecond: 20 });
    let error: unknown;
    try {
      loadConfig({
        AI_STACK_SMTP_URL: 'http://mail.example.com',
        AI_STACK_MAIL_FROM: 'no address',
        AI_STACK_MAIL_SECRET: 'short',
        AI_STACK_PUBLIC_URL: 'ftp://x',
        AI_STACK_MAIL_RATE_PER_DOMAIN: '0',
      });
    } catch (e) {
      error = e;
    }
    const fields = (error as { issues: { field: string }[] }).issues.map((i) => i.field).sort();
    expect(fields).toEqual(['AI_STACK_MAIL_FROM', 'AI_STACK_MAIL_RATE_PER_DOMAIN', 'AI_STACK_MAIL_SECRET', 'AI_STACK_PUBLIC_URL', 'AI_STACK_SMTP_URL']);
  });

  it('masks the SMTP password and the unsubscribe secret in doctor output', () => {
    const shown = describeConfig(loadConfig({ AI_STACK_SMTP_URL: 'smtp://user:hunter2-secret@mail.example.com:587', AI_STACK_MAIL_SECRET: 's'.repeat(40) }));
    expect(JSON.stringify(shown)).not.toContain('hunter2');
    expect(JSON.stringify(shown)).not.toContain('s'.repeat(40));
    expect(shown.AI_STACK_SMTP_URL).toBe('smtp://user:***@mail.example.com:587');
  });
});
