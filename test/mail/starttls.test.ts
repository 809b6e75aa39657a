import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpTransport, MailTemporaryError } from '../../src/mail/index.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp.ts';

const message = (to: string) => ({ messageId: `<${to}@test>`, from: 'a@example.com', to, subject: 's', text: 't' });

/** smtp:// upgrades with STARTTLS when offered; requireTLS refuses a server that does not offer it. */
describe('SMTP transport and STARTTLS', () => {
  let dir: string;
  let tlsServer: TestSmtpServer;
  let plainServer: TestSmtpServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ai-stack-tls-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost', '-days', '1'],
      { stdio: 'ignore' },
    );
    tlsServer = await startTestSmtpServer({ tls: { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') } });
    plainServer = await startTestSmtpServer();
  });
  afterAll(async () => {
    await tlsServer.close();
    await plainServer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('upgrades to TLS before sending when the server offers STARTTLS', async () => {
    const transport = createSmtpTransport({ url: `${tlsServer.url}?requireTLS=true&tlsRejectUnauthorized=false` });
    await transport.send(message('tls@example.com'));
    await transport.close();
    expect(tlsServer.messages.map((m) => m.secure)).toEqual([true]);
  });

  it('refuses an untrusted certificate by default, and a plaintext-only server with requireTLS', async () => {
    const strict = createSmtpTransport({ url: tlsServer.url });
    await expect(strict.send(message('strict@example.com'))).rejects.toBeInstanceOf(MailTemporaryError);
    await strict.close();
    const insisting = createSmtpTransport({ url: `${plainServer.url}?requireTLS=true` });
    await expect(insisting.send(message('plain@example.com'))).rejects.toThrow();
    await insisting.close();
    expect(tlsServer.countFor('strict@example.com')).toBe(0);
    expect(plainServer.messages).toHaveLength(0);
  });
});
