import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStandaloneTasks } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runCli, type CliProcess } from '../support/process.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp.ts';
import { eventually } from '../support/wait.ts';

const RECIPIENTS = 500;

/** The done-when: kill -9 of the worker during send_bulk_emails → every recipient gets exactly one message. */
describe('send_bulk_emails survives kill -9 of its worker', () => {
  let smtp: TestSmtpServer;
  let dataDir: string;
  let env: Record<string, string>;
  const workers: CliProcess[] = [];

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-mail-crash-'));
    env = {
      AI_STACK_DATA_DIR: dataDir,
      AI_STACK_SMTP_URL: smtp.url,
      AI_STACK_MAIL_RATE_PER_DOMAIN: '100000',
      // The killed worker's claims expire after 2 s instead of 2 minutes.
      AI_STACK_MAIL_LEASE_MS: '2000',
      LOG_LEVEL: 'warn',
    };
    const db = await openDatabase(loadConfig(env).database);
    await migrateToLatest(db);
    await db.close();
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await smtp.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`${RECIPIENTS} recipients, worker killed mid-send, restarted: each counted exactly once at the SMTP server`, async () => {
    const client = await createStandaloneTasks(loadConfig(env), silentLogger);
    try {
      const recipients = Array.from({ length: RECIPIENTS }, (_, i) => ({ to: `user${i}@d${i % 7}.example.com`, name: `用户 ${i}` }));
      const handle = await client.system.send('emails.send_bulk_emails', {
        template: 'newsletter',
        locale: 'zh-CN',
        vars: { title: '通知', body: '正文' },
        recipients,
      });

      const first = runCli(['worker', '--queues', 'emails'], env);
      workers.push(first);
      await eventually(() => smtp.messages.length >= 150, 60_000, '150 messages at the server');
      // Stop every sender at its next MAIL FROM, then kill: the worker dies with claims outstanding.
      smtp.hold();
      await eventually(() => smtp.held() >= client.mail.transport.concurrency, 30_000, 'every SMTP session waiting');
      first.child.kill('SIGKILL');
      await first.exited;
      const before = smtp.messages.length;
      smtp.release();
      expect(before).toBeLessThan(RECIPIENTS);

      const second = runCli(['worker', '--queues', 'emails'], env);
      workers.push(second);
      const result = (await handle.get({ timeout: 120_000 })) as { sent: number; failed: number };
      second.child.kill('SIGTERM');
      await second.exited;

      expect(result).toMatchObject({ sent: RECIPIENTS, failed: 0 });
      expect(smtp.messages).toHaveLength(RECIPIENTS);
      const counts = new Map<string, number>();
      for (const m of smtp.messages) for (const to of m.to) counts.set(to, (counts.get(to) ?? 0) + 1);
      expect(counts.size).toBe(RECIPIENTS);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await client.close();
    }
  }, 240_000);
});
