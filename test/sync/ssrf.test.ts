import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/shared/logger.ts';
import { createSource, runSync, type SyncDeps } from '../../src/sync/index.ts';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/db.ts';
import { startSourceServer, type SourceServer } from './source-server.ts';

describe.each(DIALECTS)('sync sources cannot reach internal addresses (%s)', (dialect) => {
  let t: TestDatabase;
  let server: SourceServer;
  beforeAll(async () => {
    t = await openTestDatabase(dialect);
    server = await startSourceServer();
    server.records = [{ code: 'C-1', name: 'One', country: 'DE' }];
  });
  afterAll(async () => {
    await server.close();
    await t.cleanup();
  });
  beforeEach(() => void (server.requests.length = 0));

  let n = 0;
  const runOf = async (url: string, deps: Partial<SyncDeps> = {}) => {
    const { id } = await createSource(t.db, { name: `ssrf-${++n}`, url, format: 'json', target: 'customers', limits: { retries: 0 } }, undefined);
    return runSync({ db: t.db, credentialsKey: undefined, allow: [], logger: silentLogger, ...deps }, id);
  };

  it('refuses loopback, private, link-local and metadata targets, by name or literal, without connecting', async () => {
    await expect(runOf(`${server.url}/whole.json`)).rejects.toThrow(
      /127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback, private, link-local or metadata address/,
    );
    await expect(runOf(`http://localhost:${server.port}/whole.json`)).rejects.toThrow(/localhost resolves to (127\.0\.0\.1|::1)/);
    await expect(runOf('http://10.1.2.3/data.json')).rejects.toThrow(/10\.1\.2\.3/);
    await expect(runOf('http://169.254.169.254/latest/meta-data/')).rejects.toThrow(/169\.254\.169\.254/);
    await expect(runOf('http://[::ffff:169.254.169.254]/')).rejects.toThrow(/::ffff:a9fe:a9fe|169\.254\.169\.254/);
    expect(server.requests).toEqual([]);
    const runs = await t.db.kysely.selectFrom('sync_runs').select(['status', 'error']).execute();
    expect(runs.every((r) => r.status === 'failed' && /loopback, private, link-local or metadata/.test(r.error ?? ''))).toBe(true);
  });

  it('refuses a redirect from an allow-listed source to the metadata service', async () => {
    await expect(runOf(`${server.url}/to-metadata`, { allow: ['127.0.0.1'] })).rejects.toThrow(/169\.254\.169\.254 resolves to 169\.254\.169\.254/);
    expect(server.requests.map((r) => r.url)).toEqual(['/to-metadata']);
  });

  it('refuses a host that answers with a public address first and with loopback when the connection is made (DNS rebinding)', async () => {
    const answers: string[] = [];
    const rebinding = async (hostname: string) => {
      const address = answers.length === 0 ? '93.184.216.34' : '127.0.0.1';
      answers.push(`${hostname}=${address}`);
      return [{ address, family: 4 }];
    };
    await expect(runOf(`http://data.example.test:${server.port}/whole.json`, { resolve: rebinding })).rejects.toThrow(
      /data\.example\.test resolves to 127\.0\.0\.1, a loopback/,
    );
    // The check before the run saw the public address; the connection's own lookup saw loopback and was refused.
    expect(answers).toEqual(['data.example.test=93.184.216.34', 'data.example.test=127.0.0.1']);
    expect(server.requests).toEqual([]);
  });

  it('refuses a host with a public and a private address among its answers', async () => {
    const mixed = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    await expect(runOf(`http://mixed.example.test:${server.port}/whole.json`, { resolve: mixed })).rejects.toThrow(
      /mixed\.example\.test resolves to 10\.0\.0\.7/,
    );
  });
});
