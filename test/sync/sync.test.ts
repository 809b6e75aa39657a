import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSource, runSync, type SyncDeps, type SyncSourceInput } from '../../src/sync/index.ts';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/db.ts';
import { startSourceServer, type SourceServer } from './source-server.ts';

const KEY = randomBytes(32);
const SECRET = 'Bearer sk-live-very-secret-token-123';

const customer = (n: number, extra: Record<string, unknown> = {}) => ({
  code: `C-${n}`,
  name: `Customer ${n}`,
  country: 'DE',
  email: `c${n}@example.com`,
  ...extra,
});

describe.each(DIALECTS)('sync.sync_external_data runs (%s)', (dialect) => {
  let t: TestDatabase;
  let server: SourceServer;
  let logged: string;
  let deps: SyncDeps;
  beforeAll(async () => {
    t = await openTestDatabase(dialect);
    server = await startSourceServer();
  });
  afterAll(async () => {
    await server.close();
    await t.cleanup();
  });
  beforeEach(async () => {
    logged = '';
    const stream = new PassThrough().on('data', (chunk: Buffer) => (logged += chunk.toString()));
    deps = { db: t.db, credentialsKey: KEY, allow: ['127.0.0.1'], logger: pino({ level: 'info' }, stream) };
    server.records = [];
    server.pageSize = 2;
    server.failures.clear();
    server.requests.length = 0;
    for (const table of ['sync_runs', 'sync_staging', 'sync_sources', 'customers', 'products'] as const) await t.db.kysely.deleteFrom(table).execute();
  });
  afterEach(() => expect(logged).not.toContain('sk-live'));

  const source = async (input: Partial<SyncSourceInput> & Pick<SyncSourceInput, 'url'>) =>
    (await createSource(t.db, { name: `s-${randomBytes(4).toString('hex')}`, format: 'json', target: 'customers', ...input }, KEY)).id;
  const customers = async () => t.db.kysely.selectFrom('customers').select(['code', 'name', 'email', 'version']).orderBy('code').execute();

  it('pages by Link header, rejects invalid rows with reasons, applies the rest, and a re-run is a no-op', async () => {
    server.records = [
      customer(1),
      customer(2, { country: 'Germany' }),
      customer(3),
      customer(4, { email: 'not-an-address' }),
      customer(5, { surprise: true }),
      customer(6),
      'not even an object' as never,
    ];
    const id = await source({
      url: `${server.url}/paged.json`,
      items_path: 'data',
      pagination: { mode: 'link' },
      credentials: { header: 'Authorization', value: SECRET },
    });
    const first = await runSync(deps, id);
    expect(first).toMatchObject({ status: 'succeeded', pages: 4, read: 7, inserted: 3, updated: 0, unchanged: 0, rejected: 4 });
    expect(first.rejections).toEqual([
      { row: 1, key: 'C-2', reasons: [expect.stringMatching(/^\/country must match pattern/)] },
      { row: 3, key: 'C-4', reasons: ['/email must match format "email"'] },
      { row: 4, key: 'C-5', reasons: ['/surprise is not a known field'] },
      { row: 6, key: null, reasons: ['is not an object'] },
    ]);
    expect((await customers()).map((c) => c.code)).toEqual(['C-1', 'C-3', 'C-6']);
    // The credential went to the source on every page.
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([SECRET, SECRET, SECRET, SECRET]);

    const again = await runSync(deps, id);
    expect(again).toMatchObject({ status: 'succeeded', inserted: 0, updated: 0, unchanged: 3, rejected: 4 });
    expect((await customers()).every((c) => Number(c.version) === 1)).toBe(true);

    // The source changes: one fixed, one renamed, one new.
    server.records = [customer(1), customer(2), customer(3, { name: 'Renamed' }), customer(6), customer(7)];
    const third = await runSync(deps, id);
    expect(third).toMatchObject({ inserted: 2, updated: 1, unchanged: 2, rejected: 0 });
    expect(await customers()).toEqual([
      { code: 'C-1', name: 'Customer 1', email: 'c1@example.com', version: 1 },
      { code: 'C-2', name: 'Customer 2', email: 'c2@example.com', version: 1 },
      { code: 'C-3', name: 'Renamed', email: 'c3@example.com', version: 2 },
      { code: 'C-6', name: 'Customer 6', email: 'c6@example.com', version: 1 },
      { code: 'C-7', name: 'Customer 7', email: 'c7@example.com', version: 1 },
    ]);
    const runs = await t.db.kysely.selectFrom('sync_runs').select(['status', 'inserted', 'updated', 'rejected']).orderBy('id').execute();
    expect(runs).toEqual([
      { status: 'succeeded', inserted: 3, updated: 0, rejected: 4 },
      { status: 'succeeded', inserted: 0, updated: 0, rejected: 4 },
      { status: 'succeeded', inserted: 2, updated: 1, rejected: 0 },
    ]);
  });

  it('fetches only what changed since the newest updated_at of the last run', async () => {
    // The bookkeeping field is read for the watermark and is not taken as a customer column.
    const dated = (n: number) => customer(n, { updated_at: `2026-01-0${n}T00:00:00Z` });
    server.records = [dated(1), dated(2), dated(3)];
    const id = await source({ url: `${server.url}/paged.json`, items_path: 'data', pagination: { mode: 'link' }, incremental: { mode: 'updated_at' } });
    expect(await runSync(deps, id)).toMatchObject({ read: 3, inserted: 3 });
    server.records.push(dated(4));
    server.requests.length = 0;
    expect(await runSync(deps, id)).toMatchObject({ read: 1, inserted: 1, updated: 0 });
    expect(server.requests[0]?.url).toBe('/paged.json?updated_since=2026-01-03T00%3A00%3A00Z');
    expect(await runSync(deps, id)).toMatchObject({ read: 0, inserted: 0, updated: 0 });
  });

  it('pages by cursor into products and resumes at the last cursor', async () => {
    const product = (n: number, price = 100) => ({ sku: `P-${n}`, name: `Product ${n}`, category: 'tools', unit_cost_cents: 50, unit_price_cents: price });
    server.records = [product(1), product(2), product(3)];
    const id = await source({
      url: `${server.url}/cursor.json`,
      target: 'products',
      items_path: 'items',
      pagination: { mode: 'cursor', next_field: 'next_cursor' },
      incremental: { mode: 'cursor' },
    });
    expect(await runSync(deps, id)).toMatchObject({ pages: 2, read: 3, inserted: 3 });
    server.records.push(product(4), product(5, 120));
    server.requests.length = 0;
    // Resumes at cursor 2 (the last page it read): P-3 again, unchanged, then the new ones.
    expect(await runSync(deps, id)).toMatchObject({ pages: 2, read: 3, inserted: 2, unchanged: 1 });
    expect(server.requests.map((r) => r.url)).toEqual(['/cursor.json?cursor=2', '/cursor.json?cursor=3']);
    const stored = await t.db.kysely.selectFrom('products').select(['sku', 'unit_price_cents', 'active']).orderBy('sku').execute();
    expect(stored.map((p) => [p.sku, Number(p.unit_price_cents), Number(p.active)])).toEqual([
      ['P-1', 100, 1],
      ['P-2', 100, 1],
      ['P-3', 100, 1],
      ['P-4', 100, 1],
      ['P-5', 120, 1],
    ]);
  });

  it('reads paged CSV into the staging table, keyed by a chosen field, with a field mapping', async () => {
    server.pageSize = 3;
    server.records = [
      { ref: 'A1', title: 'Ärger, "quoted"', qty: 3 },
      { ref: 'A2', title: '多行\n文本', qty: 5 },
      { ref: '', title: 'no key', qty: 1 },
      { ref: 'A3', title: 'plain', qty: 0 },
    ];
    const id = await source({
      url: `${server.url}/paged.csv`,
      format: 'csv',
      target: 'staging',
      key_field: 'id',
      fields: { id: 'ref', title: 'title' },
      pagination: { mode: 'link' },
    });
    expect(await runSync(deps, id)).toMatchObject({ pages: 2, read: 4, inserted: 3, rejected: 1 });
    const staged = await t.db.kysely.selectFrom('sync_staging').select(['record_key', 'data']).orderBy('record_key').execute();
    expect(staged).toEqual([
      { record_key: 'A1', data: JSON.stringify({ id: 'A1', title: 'Ärger, "quoted"' }) },
      { record_key: 'A2', data: JSON.stringify({ id: 'A2', title: '多行\n文本' }) },
      { record_key: 'A3', data: JSON.stringify({ id: 'A3', title: 'plain' }) },
    ]);
    expect(await runSync(deps, id)).toMatchObject({ inserted: 0, updated: 0, unchanged: 3 });
  });

  it('reads CSV into customers, typed by the API schema (numbers from text cells)', async () => {
    server.records = [
      { code: 'K-1', name: 'Kunde', country: 'AT', credit_limit_cents: '5000', payment_terms_days: 14 },
      { code: 'K-2', name: 'Bad terms', country: 'AT', payment_terms_days: 'soon' },
    ];
    const id = await source({ url: `${server.url}/paged.csv`, format: 'csv', pagination: { mode: 'link' } });
    const run = await runSync(deps, id);
    expect(run).toMatchObject({ inserted: 1, rejected: 1 });
    expect(run.rejections[0]).toEqual({ row: 1, key: 'K-2', reasons: ['/payment_terms_days must be integer'] });
    const [stored] = await t.db.kysely.selectFrom('customers').select(['credit_limit_cents', 'payment_terms_days', 'segment']).execute();
    expect([Number(stored?.credit_limit_cents), stored?.payment_terms_days, stored?.segment]).toEqual([5000, 14, 'smb']);
  });

  it('asks with If-None-Match and treats 304 as a run with nothing to do', async () => {
    server.records = [customer(1)];
    const id = await source({ url: `${server.url}/whole.json` });
    expect(await runSync(deps, id)).toMatchObject({ status: 'succeeded', inserted: 1 });
    expect(await runSync(deps, id)).toMatchObject({ status: 'not_modified', read: 0, inserted: 0, updated: 0 });
    expect(server.requests[1]?.headers['if-none-match']).toMatch(/^".+"$/);
    server.records = [customer(1, { name: 'Changed' })];
    expect(await runSync(deps, id)).toMatchObject({ status: 'succeeded', updated: 1 });
  });

  it('rejects a row the table refuses (an email another record uses) and writes the rest', async () => {
    server.records = [customer(1), customer(2, { email: 'c1@example.com' }), customer(3)];
    const id = await source({ url: `${server.url}/whole.json` });
    const run = await runSync(deps, id);
    expect(run).toMatchObject({ inserted: 2, rejected: 1 });
    expect(run.rejections).toEqual([{ row: -1, key: expect.stringMatching(/^C-[12]$/), reasons: [expect.stringMatching(/email/i)] }]);
    expect(await customers()).toHaveLength(2);
  });

  it('applies nothing when a page keeps failing, names the failure without the credential, and converges once it recovers', async () => {
    server.records = [customer(1), customer(2), customer(3), customer(4), customer(5)];
    server.failures.set('/paged.json?page=3', Infinity);
    const id = await source({
      url: `${server.url}/paged.json`,
      items_path: 'data',
      pagination: { mode: 'link' },
      limits: { retries: 1 },
      credentials: { header: 'authorization', value: SECRET },
    });
    const failure = await runSync(deps, id).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/page=3 failed after 2 attempt\(s\): HTTP 500: upstream broke; you sent ••••$/);
    expect(await customers()).toEqual([]);
    const [failed] = await t.db.kysely.selectFrom('sync_runs').selectAll().execute();
    expect(failed).toMatchObject({ status: 'failed', inserted: 0 });
    expect(failed?.error).not.toContain('sk-live');

    // A single 500 is retried within the run; the run then completes.
    server.failures.set('/paged.json?page=3', 1);
    expect(await runSync(deps, id)).toMatchObject({ status: 'succeeded', inserted: 5 });
    expect(await runSync(deps, id)).toMatchObject({ inserted: 0, updated: 0, unchanged: 5 });
  });

  it('stops a slow drip at the time limit, a huge body at the size limit, and endless or looping pagination', async () => {
    server.records = [customer(1)];
    const drip = await source({ url: `${server.url}/drip.json`, limits: { timeout_ms: 300, retries: 0 } });
    await expect(runSync(deps, drip)).rejects.toThrow(/drip\.json did not answer within 300 ms/);
    const huge = await source({ url: `${server.url}/huge.json`, limits: { max_bytes: 64 * 1024 } });
    await expect(runSync(deps, huge)).rejects.toThrow(/huge\.json is larger than 65536 bytes/);
    const endless = await source({ url: `${server.url}/endless.json`, pagination: { mode: 'link' }, limits: { max_pages: 5 } });
    await expect(runSync(deps, endless)).rejects.toThrow(/has more than 5 pages; raise limits\.max_pages/);
    const loop = await source({ url: `${server.url}/loop.json`, pagination: { mode: 'link' } });
    await expect(runSync(deps, loop)).rejects.toThrow(/pagination loops/);
    const elsewhere = await source({ url: `${server.url}/elsewhere.json`, pagination: { mode: 'link' } });
    await expect(runSync(deps, elsewhere)).rejects.toThrow(/leaves the source's origin/);
    expect(await customers()).toEqual([]);
    const statuses = await t.db.kysely.selectFrom('sync_runs').select('status').execute();
    expect(statuses.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
  });
});
