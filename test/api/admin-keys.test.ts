import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/runtime.ts';

describe('API key administration over HTTP', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('sqlite');
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  it('creates a scoped key shown once, lists it without the secret, and revokes it', async () => {
    const res = await svc.call('/admin/keys', { method: 'POST', json: { name: 'reporting', scopes: ['read'] } });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created.key).toMatch(/^ask_[A-Za-z0-9_-]{43}$/);
    expect((await svc.call('/api/v1/customers', { key: created.key })).status).toBe(200);

    const listed = await (await svc.call('/admin/keys')).json();
    const entry = listed.data.find((k: { id: number }) => k.id === created.id);
    expect(entry).toMatchObject({ name: 'reporting', scopes: ['read'], revokedAt: null });
    expect(JSON.stringify(listed)).not.toContain(created.key);

    expect((await svc.call(`/admin/keys/${created.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await svc.call('/api/v1/customers', { key: created.key })).status).toBe(401);
    expect((await svc.call(`/admin/keys/${created.id}`, { method: 'DELETE' })).status).toBe(400);
    expect((await svc.call('/admin/keys/424242', { method: 'DELETE' })).status).toBe(404);
  });

  it('rejects unknown scopes and empty names', async () => {
    expect((await svc.call('/admin/keys', { method: 'POST', json: { name: 'x', scopes: ['root'] } })).status).toBe(400);
    expect((await svc.call('/admin/keys', { method: 'POST', json: { name: '', scopes: ['read'] } })).status).toBe(400);
    expect((await svc.call('/admin/keys', { method: 'POST', json: { name: 'x', scopes: [] } })).status).toBe(400);
  });

  it('stores only a hash of each key', async () => {
    const { key } = await svc.runtime.keys.create({ name: 'hash-check', scopes: ['read'] });
    const rows = await svc.runtime.db.kysely.selectFrom('api_keys').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(key);
    expect(JSON.stringify(rows)).not.toContain(svc.adminKey);
  });
});
