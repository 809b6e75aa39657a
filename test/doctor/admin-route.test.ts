import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskCredentials } from '../../src/doctor/index.ts';
import { deleteKeysMatching, SHARED_REDIS_URL } from '../support/redis.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

const SMTP_PASSWORD = 'smtp-Pa55word-never-shown';
const MAIL_SECRET = 'm'.repeat(40);
const CURSOR_SECRET = 'c'.repeat(40);

interface Report {
  ok: boolean;
  settings: { name: string; value: string }[];
  checks: { name: string; ok: boolean; detail: string }[];
}

describe('GET /admin/doctor (embedded: SQLite, no Redis)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('sqlite', {
      AI_STACK_SMTP_URL: `smtp://mailer:${SMTP_PASSWORD}@127.0.0.1:2525`,
      AI_STACK_MAIL_SECRET: MAIL_SECRET,
      AI_STACK_CURSOR_SECRET: CURSOR_SECRET,
    });
  });
  afterAll(async () => svc?.cleanup());

  it('reports the effective configuration with secrets masked, and each check as the server reaches it', async () => {
    const res = await svc.call('/admin/doctor');
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const secret of [SMTP_PASSWORD, MAIL_SECRET, CURSOR_SECRET, svc.adminKey]) expect(text).not.toContain(secret);
    const report = JSON.parse(text) as Report;
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(['data dir', 'database', 'redis']);
    expect(report.checks.find((c) => c.name === 'database')).toMatchObject({ ok: true, detail: expect.stringMatching(/^sqlite answered in [\d.]+ ms$/) });
    expect(report.checks.find((c) => c.name === 'redis')?.detail).toBe('not configured (in-process drivers)');
    const setting = (name: string) => report.settings.find((s) => s.name === name)?.value;
    expect(setting('AI_STACK_SMTP_URL')).toBe('smtp://mailer:***@127.0.0.1:2525');
    expect(setting('AI_STACK_MAIL_SECRET')).toBe('(set, masked)');
    expect(setting('DATABASE_URL')).toMatch(/^\(unset: SQLite file /);
  });

  it('is an admin surface: no key is 401, a read key is 403', async () => {
    expect((await svc.call('/admin/doctor', { key: null })).status).toBe(401);
    const created = await svc.call('/admin/keys', { method: 'POST', json: { name: 'reader', scopes: ['read'] } });
    const { key } = (await created.json()) as { key: string };
    const denied = await svc.call('/admin/doctor', { key });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toContain('application/problem+json');
  });

  it('is described in the OpenAPI document with its reply schema', async () => {
    const doc = await (await svc.call('/docs/json', { key: null })).json();
    const op = doc.paths['/admin/doctor'].get;
    expect(op.summary).toMatch(/secrets masked/);
    expect(Object.keys(op.responses['200'].content['application/json'].schema.properties).sort()).toEqual(['checks', 'ok', 'settings']);
    expect(op.responses['401']).toBeDefined();
  });
});

describe('GET /admin/doctor (PostgreSQL and Redis)', () => {
  let svc: TestService;
  const prefix = `t-doctor-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    svc = await startTestService('postgres', { REDIS_URL: SHARED_REDIS_URL, AI_STACK_REDIS_PREFIX: prefix });
  }, 60_000);
  afterAll(async () => {
    await svc?.cleanup();
    await deleteKeysMatching(SHARED_REDIS_URL, `${prefix}*`);
  });

  it('checks the database and Redis over the connections the server runs on', async () => {
    const report = (await (await svc.call('/admin/doctor')).json()) as Report;
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.name === 'database')?.detail).toMatch(/^postgres answered in/);
    expect(report.checks.find((c) => c.name === 'redis')?.detail).toMatch(/^server answered PONG in/);
  });
});

describe('maskCredentials', () => {
  it('hides the password of any URL a driver quotes in its error, and leaves other text alone', () => {
    expect(maskCredentials('connect failed: redis://app:s3cr%40t@10.0.0.5:6379 (ECONNREFUSED)')).toBe(
      'connect failed: redis://app:***@10.0.0.5:6379 (ECONNREFUSED)',
    );
    expect(maskCredentials('postgres://u:p@h/db and smtp://x:y@m')).toBe('postgres://u:***@h/db and smtp://x:***@m');
    expect(maskCredentials('sqlite answered in 1.2 ms')).toBe('sqlite answered in 1.2 ms');
  });
});
