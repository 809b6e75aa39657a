import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../../src/config/index.ts';
import type { SyncRunResult } from '../../src/sync/index.ts';
import { createSource } from '../../src/sync/index.ts';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { startSourceServer, type SourceServer } from './source-server.ts';

const SECRET = 'token-abcdef-0123456789-secret';

describe.each(DIALECTS)('/admin/sync and sync.sync_external_data in the service (%s)', (dialect) => {
  let svc: TestService;
  let server: SourceServer;
  beforeAll(async () => {
    server = await startSourceServer();
    server.records = [
      { code: 'S-1', name: 'Synced one', country: 'FR' },
      { code: 'S-2', name: 'Synced two', country: 'FR' },
      { code: 'S-3', name: 'Bad', country: 'France' },
    ];
    svc = await startTestService(dialect, { AI_STACK_OUTBOUND_ALLOW: '127.0.0.1', AI_STACK_SYNC_KEY: randomBytes(32).toString('hex') });
    await svc.runtime.startBackground();
  });
  afterAll(async () => {
    await svc.cleanup();
    await server.close();
  });

  const create = (body: Record<string, unknown>) =>
    svc.call('/admin/sync/sources', { method: 'POST', json: { name: `src-${randomBytes(3).toString('hex')}`, format: 'json', target: 'customers', ...body } });

  it('is registered under its seed name on the sync queue and listed by the monitor', async () => {
    const registered = (await (await svc.call('/admin/tasks/registered')).json()) as { name: string; queue: string }[];
    expect(registered).toContainEqual(expect.objectContaining({ name: 'sync.sync_external_data', queue: 'sync', retries: 2 }));
  });

  it('stores credentials encrypted and shows them masked; runs through the API (202) and with .delay()', async () => {
    const created = await create({
      url: `${server.url}/paged.json`,
      items_path: 'data',
      pagination: { mode: 'link' },
      credentials: { header: 'X-Api-Key', value: SECRET },
    });
    expect(created.status).toBe(201);
    const source = await created.json();
    expect(source.credentials).toEqual({ header: 'x-api-key', value: '••••' });
    const listed = await (await svc.call('/admin/sync/sources')).text();
    const one = await (await svc.call(`/admin/sync/sources/${source.id}`)).text();
    for (const text of [JSON.stringify(source), listed, one]) expect(text).not.toContain(SECRET);
    const row = await svc.runtime.db.kysely.selectFrom('sync_sources').select('credential_sealed').where('id', '=', source.id).executeTakeFirstOrThrow();
    expect(row.credential_sealed).toMatch(/^v1:[^:]+:[^:]+:[^:]+$/);
    expect(row.credential_sealed).not.toContain(SECRET);

    const started = await svc.call(`/admin/sync/sources/${source.id}/run`, { method: 'POST' });
    expect(started.status).toBe(202);
    const { task_id: taskId } = await started.json();
    const result = await svc.runtime.tasks.system.result<SyncRunResult>(taskId).get({ timeout: 60_000 });
    expect(result).toMatchObject({ status: 'succeeded', inserted: 2, rejected: 1 });
    expect(server.requests.at(-1)?.headers['x-api-key']).toBe(SECRET);

    const definition = svc.runtime.tasks.system.definition('sync.sync_external_data');
    if (!definition) throw new Error('sync.sync_external_data is not registered');
    const handle = await svc.runtime.tasks.system.task(definition).delay({ sourceId: source.id });
    expect(await handle.get({ timeout: 60_000 })).toMatchObject({ status: 'succeeded', inserted: 0, updated: 0, unchanged: 2 });

    const runs = await (await svc.call(`/admin/sync/runs?source_id=${source.id}`)).json();
    expect(runs.items.map((r: { inserted: number; rejected: number; task_id: string }) => [r.inserted, r.rejected, r.task_id])).toEqual([
      [0, 1, handle.id],
      [2, 1, taskId],
    ]);
    expect(runs.items[0].rejections).toEqual([{ row: 2, key: 'S-3', reasons: [expect.stringMatching(/^\/country must match pattern/)] }]);

    // Replacing without credentials keeps them; null removes them.
    const id = source.id as number;
    const kept = await (await svc.call(`/admin/sync/sources/${id}`, { method: 'PUT', json: pick(source) })).json();
    expect(kept.credentials).toEqual({ header: 'x-api-key', value: '••••' });
    const removed = await (await svc.call(`/admin/sync/sources/${id}`, { method: 'PUT', json: { ...pick(source), credentials: null } })).json();
    expect(removed.credentials).toBeNull();
    expect((await svc.call(`/admin/sync/sources/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await svc.call(`/admin/sync/sources/${id}/run`, { method: 'POST' })).status).toBe(404);
  });

  it('answers hostile input with problem+json: bad schemes, internal targets, oversized bodies, unknown fields, no key', async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ url: 'file:///etc/passwd' }, 400, /file: URLs are not fetched/],
      [{ url: 'gopher://127.0.0.1:70/_stats' }, 400, /gopher: URLs are not fetched/],
      [{ url: 'http://169.254.169.254/latest/meta-data/' }, 400, /169\.254\.169\.254 resolves to 169\.254\.169\.254/],
      [{ url: 'http://10.0.0.5/export.json' }, 400, /10\.0\.0\.5/],
      [{ url: 'http://user:pw@example.com/x.json' }, 400, /credentials in the URL are refused/],
      [{ url: 'not a url at all' }, 400, /is not a URL/],
      [{ url: `${server.url}/x.json`, target: 'staging' }, 400, /\/key_field is required for target staging/],
      [{ url: `${server.url}/x.json`, pagination: { mode: 'cursor' } }, 400, /next_field is required/],
      [{ url: `${server.url}/x.json`, limits: { max_pages: 10_000_000 } }, 400, /max_pages/],
      [{ url: `${server.url}/x.json`, shell: 'rm -rf /' }, 400, /shell/],
      [{ url: `${server.url}/x.json`, name: 'x'.repeat(70_000) }, 413, /./],
    ];
    for (const [body, status, detail] of cases) {
      const response = await create(body);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = await response.json();
      expect(`${problem.detail} ${JSON.stringify(problem.errors ?? [])}`).toMatch(detail);
    }
    expect((await svc.call('/admin/sync/sources', { key: null })).status).toBe(401);
    expect((await svc.call('/admin/sync/sources/abc')).status).toBe(400);
    expect((await svc.call('/admin/sync/runs?limit=100000')).status).toBe(400);
    expect(server.requests.filter((r) => r.url === '/x.json')).toEqual([]);
  });

  it('refuses to store a credential when no AI_STACK_SYNC_KEY is configured, and a malformed key at start-up', async () => {
    const input = {
      name: 'no-key',
      url: `${server.url}/x.json`,
      format: 'json',
      target: 'customers',
      credentials: { header: 'authorization', value: SECRET },
    } as const;
    await expect(createSource(svc.runtime.db, input, undefined)).rejects.toThrow(/credentials cannot be stored: set AI_STACK_SYNC_KEY/);
    expect(await svc.runtime.db.kysely.selectFrom('sync_sources').select('id').where('name', '=', 'no-key').execute()).toEqual([]);
    expect(() => loadConfig({ AI_STACK_SYNC_KEY: 'short' })).toThrow(/AI_STACK_SYNC_KEY: must be 32 random bytes/);
    const hex = randomBytes(32).toString('hex');
    expect(describeConfig(loadConfig({ AI_STACK_SYNC_KEY: hex })).AI_STACK_SYNC_KEY).toBe('(set, masked)');
  });
});

/** The writable settings of a source view. */
function pick(view: Record<string, unknown>): Record<string, unknown> {
  const pagination = view.pagination as Record<string, string | null>;
  return {
    name: view.name,
    url: view.url,
    format: view.format,
    target: view.target,
    items_path: view.items_path,
    pagination: { mode: pagination.mode, ...(pagination.next_field ? { next_field: pagination.next_field } : {}), cursor_param: pagination.cursor_param },
    incremental: view.incremental,
    limits: view.limits,
    enabled: view.enabled,
  };
}
