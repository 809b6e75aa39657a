import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, parseRoles, type Role, type Runtime } from '../../src/app/index.ts';
import { main } from '../../src/cli/main.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { ConfigError } from '../../src/shared/errors.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { openTestDatabase, type TestDatabase } from '../support/db.ts';
import { deleteKeysMatching, SHARED_REDIS_URL } from '../support/redis.ts';

describe('parseRoles', () => {
  it('accepts any subset in any order', () => {
    expect(parseRoles('api')).toEqual(['api']);
    expect(parseRoles('worker, scheduler')).toEqual(['worker', 'scheduler']);
    expect(parseRoles('scheduler,api,worker')).toEqual(['scheduler', 'api', 'worker']);
  });

  it.each([
    ['', /empty name/],
    ['api,', /empty name/],
    ['web', /unknown role "web"; roles are api, worker, scheduler/],
    ['worker,worker', /"worker" is named twice/],
  ])('refuses %j with a message naming the problem', (text, message) => {
    expect(() => parseRoles(text)).toThrow(ConfigError);
    expect(() => parseRoles(text)).toThrow(message);
  });

  it('`ai-stack start --roles` with an unknown role exits 2 before opening anything', async () => {
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await main(['start', '--roles', 'api,cron'], { loadConfig: () => loadConfig({}), stdout: new PassThrough(), stderr });
    expect(code).toBe(2);
    expect(err).toMatch(/unknown role "cron"/);
  });
});

/** API nodes, worker nodes and schedulers apart, sharing one database and one Redis (as a deployment runs them). */
describe('processes with separate roles on PostgreSQL and Redis', () => {
  const prefix = `t-roles-${randomBytes(4).toString('hex')}`;
  let testDb: TestDatabase;
  let config: Config;
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-roles-'));
  const started: Runtime[] = [];

  async function node(roles: Role[]): Promise<{ runtime: Runtime; url: string }> {
    const runtime = await createRuntime(config, { roles, logger: silentLogger });
    started.push(runtime);
    const url = (await runtime.listen()).replace('[::1]', '127.0.0.1');
    return { runtime, url };
  }

  beforeAll(async () => {
    testDb = await openTestDatabase('postgres');
    const base = loadConfig({ PORT: '0', AI_STACK_DATA_DIR: dataDir, LOG_LEVEL: 'silent', REDIS_URL: SHARED_REDIS_URL, AI_STACK_REDIS_PREFIX: prefix });
    config = { ...base, database: testDb.config };
  });
  afterAll(async () => {
    for (const runtime of started.reverse()) await runtime.stop();
    await testDb.cleanup();
    await deleteKeysMatching(SHARED_REDIS_URL, `${prefix}*`);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an API node serves the API and creates the first key; a worker node serves only probes and runs what the API enqueued', async () => {
    const api = await node(['api']);
    const key = api.runtime.bootstrapKey;
    expect(key).toMatch(/^ask_/);
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    const applied = await fetch(`${api.url}/admin/tasks/apply/sync.cleanup_cache`, { method: 'POST', headers: auth, body: JSON.stringify({ args: {} }) });
    expect(applied.status).toBe(202);
    const { id } = (await applied.json()) as { id: string };

    const worker = await node(['worker']);
    expect(worker.runtime.bootstrapKey).toBeNull();
    // Not ready until its workers run: a load balancer or orchestrator must not count it yet.
    const before = await fetch(`${worker.url}/readyz`);
    expect(before.status).toBe(503);
    expect(JSON.stringify(await before.json())).toContain('workers');
    await worker.runtime.startBackground();
    const ready = await fetch(`${worker.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks).toEqual({ database: 'ok', redis: 'ok', workers: 'ok' });
    // Probes only: the API, the admin surface and the console are not on a worker's port.
    expect((await fetch(`${worker.url}/api/v1/customers`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${worker.url}/admin/tasks/queues`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${worker.url}/metrics`)).status).toBe(200);

    const result = await api.runtime.tasks.system.result(id).get({ timeout: 20_000 });
    expect(result).toEqual({ l1Expired: expect.any(Number), tagIndexEntriesRemoved: expect.any(Number) });
  });

  it('a scheduler node is ready once its schedule loop runs, and checks only what it needs', async () => {
    const beat = await node(['scheduler']);
    await beat.runtime.startBackground();
    const ready = await fetch(`${beat.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(Object.keys(((await ready.json()) as { checks: Record<string, string> }).checks).sort()).toEqual(['database', 'redis', 'scheduler']);
  });
});
