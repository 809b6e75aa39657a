import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

const PASSWORD = 'correct horse battery staple';

interface Signed {
  cookie: string;
  csrf: string;
  setCookie: string;
}

function sessionCookie(res: Response): string {
  const header = res.headers.getSetCookie().find((c) => c.startsWith('ai_stack_session='));
  if (!header) throw new Error('no session cookie set');
  return header;
}

async function login(svc: TestService, username: string, password = PASSWORD, headers: Record<string, string> = {}): Promise<Signed> {
  const res = await svc.call('/api/v1/auth/login', { method: 'POST', key: null, json: { username, password }, headers });
  expect(res.status).toBe(200);
  const body = await res.json();
  const setCookie = sessionCookie(res);
  return { cookie: setCookie.split(';')[0] ?? '', csrf: body.csrfToken as string, setCookie };
}

describe.each(DIALECTS)('web console sign-in over HTTP (%s)', (dialect) => {
  let svc: TestService;
  const as = (s: Signed, path: string, init: RequestInit & { json?: unknown } = {}) =>
    svc.call(path, { ...init, key: null, headers: { cookie: s.cookie, ...(init.headers as Record<string, string> | undefined) } });

  beforeAll(async () => {
    svc = await startTestService(dialect);
    for (const [username, role] of [
      ['alice', 'admin'],
      ['rita', 'read'],
      ['lou', 'write'],
      ['eve', 'admin'],
      ['sam', 'admin'],
    ] as const) {
      const res = await svc.call('/admin/users', { method: 'POST', json: { username, password: PASSWORD, role } });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  it('signs in with an HttpOnly SameSite=Strict cookie that opens /api/v1 and /admin (Bull Board too)', async () => {
    const alice = await login(svc, 'alice');
    expect(alice.setCookie).toMatch(/HttpOnly/i);
    expect(alice.setCookie).toMatch(/SameSite=Strict/i);
    expect(alice.setCookie).not.toMatch(/Secure/i);
    const me = await (await as(alice, '/api/v1/auth/session')).json();
    expect(me.user).toMatchObject({ username: 'alice', role: 'admin' });
    expect(me.csrfToken).toBe(alice.csrf);
    expect((await as(alice, '/api/v1/customers')).status).toBe(200);
    expect((await as(alice, '/admin/readiness')).status).toBe(200);
    expect((await as(alice, '/admin/queues')).status).toBe(200);
  });

  it('maps roles to scopes: a read user reads the API but not /admin, and cannot write', async () => {
    const rita = await login(svc, 'rita');
    expect((await as(rita, '/api/v1/customers')).status).toBe(200);
    expect((await as(rita, '/admin/readiness')).status).toBe(403);
    const write = await as(rita, '/api/v1/customers', { method: 'POST', json: { name: 'x', email: 'x@example.com' }, headers: { 'x-csrf-token': rita.csrf } });
    expect(write.status).toBe(403);
  });

  it('refuses a wrong password, an unknown user and hostile bodies without saying which', async () => {
    const wrong = await svc.call('/api/v1/auth/login', { method: 'POST', key: null, json: { username: 'lou', password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const unknown = await svc.call('/api/v1/auth/login', { method: 'POST', key: null, json: { username: 'nobody', password: 'whatever it is' } });
    expect(unknown.status).toBe(401);
    expect((await unknown.json()).detail).toBe((await wrong.json()).detail);
    const huge = await svc.call('/api/v1/auth/login', { method: 'POST', key: null, json: { username: 'lou', password: 'x'.repeat(5000) } });
    expect(huge.status).toBe(400);
    const extra = await svc.call('/api/v1/auth/login', { method: 'POST', key: null, json: { username: 'lou', password: PASSWORD, role: 'admin' } });
    expect(extra.status).toBe(400);
    const malformed = await svc.call('/api/v1/auth/login', {
      method: 'POST',
      key: null,
      body: '{"username":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    await login(svc, 'lou');
    expect((await svc.call('/admin/users', { method: 'POST', json: { username: 'lou', password: PASSWORD, role: 'read' } })).status).toBe(409);
    expect((await svc.call('/admin/users', { method: 'POST', json: { username: 'newbie', password: 'short', role: 'read' } })).status).toBe(400);
    expect((await svc.call('/admin/users', { method: 'POST', json: { username: '<img src=x>', password: PASSWORD, role: 'read' } })).status).toBe(400);
  });

  it('locks an account after five wrong passwords in a row, even against the right one', async () => {
    for (let i = 0; i < 4; i++) {
      expect((await svc.call('/api/v1/auth/login', { method: 'POST', key: null, json: { username: 'eve', password: `guess number ${i}` } })).status).toBe(401);
    }
    const locking = await svc.call('/api/v1/auth/login', { method: 'POST', key: null, json: { username: 'eve', password: 'guess number 5' } });
    expect(locking.status).toBe(429);
    expect((await locking.json()).code).toBe('account_locked');
    const right = await svc.call('/api/v1/auth/login', { method: 'POST', key: null, json: { username: 'eve', password: PASSWORD } });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(right.headers.getSetCookie()).toEqual([]);
  });

  it('refuses state-changing requests from another origin and cookie writes without a CSRF proof', async () => {
    const alice = await login(svc, 'alice');
    const create = (headers: Record<string, string>) => as(alice, '/admin/keys', { method: 'POST', json: { name: 'csrf probe', scopes: ['read'] }, headers });
    const foreign = await create({ origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('content-type')).toContain('application/problem+json');
    expect((await create({ origin: 'http://evil.example', 'x-csrf-token': alice.csrf })).status).toBe(403);
    expect((await create({ 'sec-fetch-site': 'cross-site', 'x-csrf-token': alice.csrf })).status).toBe(403);
    expect((await create({})).status).toBe(403);
    expect((await create({ 'x-csrf-token': 'forged' })).status).toBe(403);
    expect((await create({ 'x-csrf-token': alice.csrf })).status).toBe(201);
    expect((await create({ origin: svc.baseUrl })).status).toBe(201);
    // Sign-in itself: a foreign page cannot log the browser into an account of its choosing.
    const loginCsrf = await svc.call('/api/v1/auth/login', {
      method: 'POST',
      key: null,
      json: { username: 'alice', password: PASSWORD },
      headers: { origin: 'http://evil.example' },
    });
    expect(loginCsrf.status).toBe(403);
  });

  it('issues a new session id at sign-in and ends the one the browser brought (fixation)', async () => {
    const planted = await login(svc, 'sam');
    const fresh = await login(svc, 'sam', PASSWORD, { cookie: planted.cookie });
    expect(fresh.cookie).not.toBe(planted.cookie);
    expect((await as(planted, '/api/v1/auth/session')).status).toBe(401);
    expect((await as(fresh, '/api/v1/auth/session')).status).toBe(200);
    const invented = await login(svc, 'sam', PASSWORD, { cookie: 'ai_stack_session=attacker-chosen-value' });
    expect(invented.cookie).not.toContain('attacker-chosen-value');
    expect((await as({ cookie: 'ai_stack_session=attacker-chosen-value', csrf: '', setCookie: '' }, '/api/v1/customers')).status).toBe(401);
  });

  it('signs out one session, and signs out everywhere', async () => {
    const first = await login(svc, 'lou');
    const second = await login(svc, 'lou');
    const third = await login(svc, 'lou');
    expect((await as(first, '/api/v1/auth/logout', { method: 'POST' })).status).toBe(403);
    const out = await as(first, '/api/v1/auth/logout', { method: 'POST', headers: { 'x-csrf-token': first.csrf } });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().join()).toMatch(/ai_stack_session=;/);
    expect((await as(first, '/api/v1/customers')).status).toBe(401);
    expect((await as(second, '/api/v1/customers')).status).toBe(200);
    const all = await as(second, '/api/v1/auth/logout-all', { method: 'POST', headers: { 'x-csrf-token': second.csrf } });
    expect(all.status).toBe(200);
    expect((await all.json()).ended).toBeGreaterThanOrEqual(2);
    expect((await as(second, '/api/v1/customers')).status).toBe(401);
    expect((await as(third, '/api/v1/customers')).status).toBe(401);
  });
});

describe('Secure session cookies behind a TLS proxy', () => {
  it('marks the cookie Secure for X-Forwarded-Proto: https only when the proxy is trusted', async () => {
    for (const trust of ['false', 'true']) {
      const svc = await startTestService('sqlite', { AI_STACK_TRUST_PROXY: trust });
      try {
        expect((await svc.call('/admin/users', { method: 'POST', json: { username: 'tess', password: PASSWORD, role: 'read' } })).status).toBe(201);
        const res = await svc.call('/api/v1/auth/login', {
          method: 'POST',
          key: null,
          json: { username: 'tess', password: PASSWORD },
          headers: { 'x-forwarded-proto': 'https' },
        });
        expect(res.status).toBe(200);
        expect(/;\s*Secure/i.test(sessionCookie(res))).toBe(trust === 'true');
      } finally {
        await svc.cleanup();
      }
    }
  });
});

describe('sign-in rate limit per client address', () => {
  it('answers 429 with Retry-After once an address has tried 20 times in a minute, whatever the account', async () => {
    const svc = await startTestService('sqlite');
    try {
      const attempt = (i: number) =>
        svc.call('/api/v1/auth/login', { method: 'POST', key: null, json: { username: `user${i}`, password: 'some password here' } });
      for (let i = 0; i < 20; i++) expect((await attempt(i)).status).toBe(401);
      const limited = await attempt(20);
      expect(limited.status).toBe(429);
      expect((await limited.json()).code).toBe('rate_limited');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await svc.cleanup();
    }
  });
});
