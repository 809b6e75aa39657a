import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbAdminRoutes } from '../../src/db/index.ts';
import { sendProblem, toAiStackError } from '../../src/http/problem.ts';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/db.ts';

describe.each(DIALECTS)('db admin routes (%s)', (dialect) => {
  let t: TestDatabase;
  let app: FastifyInstance;
  beforeAll(async () => {
    t = await openTestDatabase(dialect, { slowQueries: { thresholdMs: 0 } });
    app = Fastify();
    // The project's one problem+json mapper, as the real service uses it.
    app.setErrorHandler((error, request, reply) => sendProblem(reply, request, toAiStackError(error)));
    await app.register(dbAdminRoutes(t.db), { prefix: '/admin' });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await t.cleanup();
  });

  it('GET /db/pool reports the pool', async () => {
    await t.db.kysely.insertInto('accounts').values({ code: '7000', name: 'Other', type: 'expense' }).execute();
    const response = await app.inject({ method: 'GET', url: '/admin/db/pool' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ dialect, timeouts: 0, acquireWaitMs: { count: expect.any(Number) } });
    if (dialect === 'sqlite') {
      expect(response.json().server).toBeNull();
      return;
    }
    // A transaction left open by "application code" shows up as idle in transaction, with its age.
    if (t.db.native.dialect !== 'postgres') throw new Error('expected PostgreSQL');
    const client = await t.db.native.pool.connect();
    try {
      await client.query('begin');
      await client.query('select 1');
      await new Promise((resolve) => setTimeout(resolve, 30));
      const server = (await app.inject({ method: 'GET', url: '/admin/db/pool' })).json().server;
      expect(server.connections['idle in transaction']).toBeGreaterThanOrEqual(1);
      expect(server.connections.active).toBeGreaterThanOrEqual(1);
      expect(server.longestTransactionMs).toBeGreaterThanOrEqual(30);
      expect(server.waitingOnLocks).toBe(0);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('GET /db/slow-queries lists fingerprints and validates its query string', async () => {
    await t.db.kysely.selectFrom('customers').selectAll().where('code', '=', 'x').execute();
    const response = await app.inject({ method: 'GET', url: '/admin/db/slow-queries?limit=5' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.thresholdMs).toBe(0);
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data.length).toBeLessThanOrEqual(5);
    expect(body.data[0]).toHaveProperty('fingerprint');
    for (const bad of ['limit=0', 'limit=abc', 'limit=100000']) {
      expect((await app.inject({ method: 'GET', url: `/admin/db/slow-queries?${bad}` })).statusCode).toBe(400);
    }
  });

  it('POST /db/advise answers for one statement or the top slow queries, and rejects hostile SQL', async () => {
    const one = await app.inject({ method: 'POST', url: '/admin/db/advise', payload: { sql: "select * from orders where order_date = '2026-01-01'" } });
    expect(one.statusCode).toBe(200);
    expect(one.json().data[0]).toMatchObject({ dialect, suggestions: [] });
    expect(one.json().data[0].reason).toMatch(/small|index/);
    const top = await app.inject({ method: 'POST', url: '/admin/db/advise', payload: { top: 3 } });
    expect(top.statusCode).toBe(200);
    expect(Array.isArray(top.json().data)).toBe(true);
    expect((await app.inject({ method: 'POST', url: '/admin/db/advise', payload: { sql: 'drop table orders' } })).statusCode).toBe(400);
    // Statements the database rejects: 400 problem+json with the database's reason, no stack, and the next call works.
    for (const [sqlText, reason] of [
      ['select * from orders where no_such_column = 1', /no_such_column/],
      ['select * form orders', /syntax|parser/],
    ] as const) {
      const rejected = await app.inject({ method: 'POST', url: '/admin/db/advise', payload: { sql: sqlText } });
      expect(rejected.statusCode).toBe(400);
      expect(rejected.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(rejected.json().detail).toMatch(reason);
      expect(rejected.body).not.toMatch(/aborted|\\n\s+at |\.ts:\d+/);
    }
    const withValues = await app.inject({
      method: 'POST',
      url: '/admin/db/advise',
      payload: { sql: `select * from orders where order_date = ${dialect === 'postgres' ? '$1' : '?'}`, params: ['2026-01-01'] },
    });
    expect(withValues.statusCode).toBe(200);
    if (dialect === 'postgres') expect(withValues.json().data[0].assumption).toMatch(/given parameter values/);
    expect(Array.isArray(top.json().indexes)).toBe(true);
    expect((await app.inject({ method: 'POST', url: '/admin/db/advise', payload: { sql: 'x'.repeat(20_001) } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/admin/db/advise', payload: { top: 'many' } })).statusCode).toBe(400);
    expect(
      (await app.inject({ method: 'POST', url: '/admin/db/advise', headers: { 'content-type': 'application/json' }, payload: '{bad json' })).statusCode,
    ).toBe(400);
  });

  it('GET /db/indexes reports index health', async () => {
    const response = await app.inject({ method: 'GET', url: '/admin/db/indexes' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ duplicates: [], invalid: [] });
  });
});
