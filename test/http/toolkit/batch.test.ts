import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Generated, Kysely } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../../../src/shared/errors.ts';
import { batchPlugin, parseBatch, runBulkAtomic, runBulkPartial, type BatchResponse } from '../../../src/http/toolkit/index.ts';
import { fakeAuth, testApp } from './support/app.ts';
import { sqliteKysely } from './support/node-sqlite.ts';

interface DB {
  products: { id: Generated<number>; sku: string; price: number };
}

describe('bulk helpers', () => {
  let db: Kysely<DB>;
  beforeAll(async () => {
    ({ db } = sqliteKysely<DB>());
    await db.schema
      .createTable('products')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('sku', 'text', (c) => c.notNull().unique())
      .addColumn('price', 'integer', (c) => c.notNull())
      .execute();
  });
  afterAll(() => db.destroy());

  const insert = async (executor: Kysely<DB>, item: { sku: string; price: number }): Promise<{ id: number }> => {
    if (!(item.price >= 0)) throw new ValidationError('price must be ≥ 0', [{ field: 'price', message: 'must be ≥ 0' }]);
    const existing = await executor.selectFrom('products').select('id').where('sku', '=', item.sku).executeTakeFirst();
    if (existing !== undefined) throw new ConflictError(`sku ${item.sku} exists`);
    const row = await executor.insertInto('products').values(item).returning('id').executeTakeFirstOrThrow();
    return { id: row.id };
  };

  it('partial mode reports each item and answers 207 when some fail', async () => {
    const outcome = await runBulkPartial(
      [
        { sku: 'a', price: 1 },
        { sku: 'a', price: 2 },
        { sku: 'b', price: -1 },
        { sku: 'c', price: 3 },
      ],
      (item) => insert(db, item),
      { successStatus: 201 },
    );
    expect(outcome.status).toBe(207);
    expect(outcome.body).toMatchObject({ succeeded: 2, failed: 2 });
    expect(outcome.body.results.map((r) => r.status)).toEqual([201, 409, 400, 201]);
    expect(outcome.body.results[1]?.error).toMatchObject({ status: 409, code: 'conflict', detail: 'sku a exists' });
    expect(outcome.body.results[2]?.error?.errors).toEqual([{ field: 'price', message: 'must be ≥ 0' }]);
  });

  it('partial mode hides internals of unexpected errors', async () => {
    const outcome = await runBulkPartial([1], async () => {
      throw new Error('SQLITE_CORRUPT at /var/lib/secret.db');
    });
    expect(outcome.body.results[0]?.error).toMatchObject({ status: 500, detail: 'Internal error' });
  });

  it('atomic mode applies all or nothing', async () => {
    const transaction = <T>(work: (tx: Kysely<DB>) => Promise<T>): Promise<T> => db.transaction().execute(work);
    const before = await db
      .selectFrom('products')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    await expect(
      runBulkAtomic(
        [
          { sku: 'x', price: 1 },
          { sku: 'y', price: 1 },
          { sku: 'a', price: 1 },
        ],
        transaction,
        (item, _i, tx) => insert(tx, item),
      ),
    ).rejects.toMatchObject({
      status: 409,
      code: 'bulk_aborted',
      index: 2,
    });
    const after = await db
      .selectFrom('products')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    const ok = await runBulkAtomic(
      [
        { sku: 'x', price: 1 },
        { sku: 'y', price: 1 },
      ],
      transaction,
      (item, _i, tx) => insert(tx, item),
      { successStatus: 201 },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.results.every((r) => r.status === 201)).toBe(true);
  });

  it('rejects empty and oversized bulks', async () => {
    await expect(runBulkPartial([], async () => 1)).rejects.toMatchObject({ status: 400 });
    await expect(runBulkPartial(new Array(11).fill(0), async () => 1, { maxItems: 10 })).rejects.toThrow(/1 to 10 items/);
  });
});

describe('$batch', () => {
  let app: FastifyInstance;
  const log: string[] = [];
  const orders = new Map<number, { id: number; customer: string }>();
  let inFlight = 0;
  let maxInFlight = 0;
  beforeAll(async () => {
    app = testApp();
    await app.register(
      async (api) => {
        fakeAuth(api, { required: true });
        await api.register(batchPlugin);
        api.post('/orders', async (request, reply) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 20));
          inFlight--;
          const id = orders.size + 1;
          orders.set(id, { id, customer: (request.body as { customer: string }).customer });
          log.push(`create ${id}`);
          return reply.code(201).header('location', `/api/v1/orders/${id}`).send(orders.get(id));
        });
        api.get('/orders/:id', async (request) => {
          const order = orders.get(Number((request.params as { id: string }).id));
          log.push(`read ${(request.params as { id: string }).id}`);
          if (order === undefined) throw new NotFoundError('order');
          return order;
        });
        api.delete('/orders/:id', { config: { scope: 'admin' } }, async (request, reply) => {
          orders.delete(Number((request.params as { id: string }).id));
          return reply.code(204).send();
        });
      },
      { prefix: '/api/v1' },
    );
    await app.ready();
  });
  afterAll(() => app.close());

  const batch = (body: unknown, authorization = 'Bearer 5:write') =>
    app.inject({ method: 'POST', url: '/api/v1/$batch', headers: { authorization }, payload: body as Record<string, unknown> });

  it('runs sub-requests, honours dependsOn and reports per-request results', async () => {
    log.length = 0;
    const response = await batch({
      requests: [
        { id: 'read', method: 'GET', url: '/orders/1', dependsOn: ['create'] },
        { id: 'create', method: 'POST', url: '/orders', body: { customer: 'ada' } },
        { id: 'missing', method: 'GET', url: '/orders/999' },
        { id: 'after-missing', method: 'GET', url: '/orders/1', dependsOn: ['missing'] },
      ],
    });
    expect(response.statusCode).toBe(200);
    const responses = new Map(response.json<{ responses: BatchResponse[] }>().responses.map((r) => [r.id, r]));
    expect(responses.get('create')).toMatchObject({ status: 201, headers: { location: '/api/v1/orders/1' }, body: { id: 1, customer: 'ada' } });
    expect(responses.get('read')).toMatchObject({ status: 200, body: { id: 1 } });
    expect(responses.get('missing')).toMatchObject({ status: 404 });
    expect(responses.get('after-missing')).toMatchObject({ status: 424, body: { code: 'failed_dependency' } });
    expect(log.indexOf('create 1')).toBeLessThan(log.indexOf('read 1'));
    expect(log).not.toContain('read 1x');
  });

  it('runs independent sub-requests concurrently', async () => {
    maxInFlight = 0;
    const response = await batch({ requests: ['x', 'y', 'z'].map((id) => ({ id, method: 'POST', url: '/orders', body: { customer: id } })) });
    expect(response.json<{ responses: BatchResponse[] }>().responses.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(maxInFlight).toBe(3);
  });

  it("checks auth per sub-request with the caller's key", async () => {
    const response = await batch({
      requests: [
        { id: '1', method: 'DELETE', url: '/orders/1' },
        { id: '2', method: 'GET', url: '/orders/1' },
      ],
    });
    const [first, second] = response.json<{ responses: BatchResponse[] }>().responses;
    expect(first).toMatchObject({ id: '1', status: 403 });
    expect(second).toMatchObject({ id: '2', status: 200 });
    // A key smuggled in a sub-request header is ignored: the outer caller's key is what counts.
    const smuggled = await batch({ requests: [{ id: '1', method: 'DELETE', url: '/orders/1', headers: { Authorization: 'Bearer 1:admin' } }] });
    expect(smuggled.json<{ responses: BatchResponse[] }>().responses[0]?.status).toBe(403);
    expect((await batch({ requests: [{ id: '1', method: 'GET', url: '/orders/1' }] }, 'Bearer nope')).statusCode).toBe(401);
  });

  it.each([
    ['21 requests', { requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/orders/1' })) }, /1 to 20 requests/],
    ['no requests', { requests: [] }, /1 to 20 requests/],
    ['not a batch', { hello: 'world' }, /requests/],
    [
      'a cycle',
      {
        requests: [
          { id: 'a', method: 'GET', url: '/orders/1', dependsOn: ['c'] },
          { id: 'b', method: 'GET', url: '/orders/1', dependsOn: ['a'] },
          { id: 'c', method: 'GET', url: '/orders/1', dependsOn: ['b'] },
        ],
      },
      /cycle/,
    ],
    ['a self-dependency', { requests: [{ id: 'a', method: 'GET', url: '/orders/1', dependsOn: ['A'] }] }, /cycle/],
    ['an unknown dependency', { requests: [{ id: 'a', method: 'GET', url: '/orders/1', dependsOn: ['zz'] }] }, /unknown id "zz"/],
    [
      'duplicate ids (case-insensitive)',
      {
        requests: [
          { id: 'a', method: 'GET', url: '/orders/1' },
          { id: 'A', method: 'GET', url: '/orders/1' },
        ],
      },
      /duplicate id/,
    ],
    ['a bad method', { requests: [{ id: 'a', method: 'TRACE', url: '/orders/1' }] }, /method/],
    ['an absolute url', { requests: [{ id: 'a', method: 'GET', url: 'http://evil.example/x' }] }, /url/],
    ['a traversal', { requests: [{ id: 'a', method: 'GET', url: '/../admin/keys' }] }, /url/],
    ['a nested batch', { requests: [{ id: 'a', method: 'POST', url: '/$batch', body: {} }] }, /url/],
    ['a hostile id', { requests: [{ id: '<script>'.repeat(20), method: 'GET', url: '/orders/1' }] }, /id/],
    ['non-string headers', { requests: [{ id: 'a', method: 'GET', url: '/orders/1', headers: { 'x-n': 1 } }] }, /headers/],
    ['an oversized header', { requests: [{ id: 'a', method: 'GET', url: '/orders/1', headers: { 'x-big': 'b'.repeat(9000) } }] }, /headers/],
    ['dependsOn not an array', { requests: [{ id: 'a', method: 'GET', url: '/orders/1', dependsOn: 'b' }] }, /dependsOn/],
    ['a non-object entry', { requests: ['GET /orders/1'] }, /id/],
  ])('rejects %s with 400', async (_name, body, message) => {
    const response = await batch(body);
    expect(response.statusCode).toBe(400);
    expect(response.json<{ detail: string }>().detail).toMatch(message);
  });

  it('parseBatch accepts Graph-style bodies and defaults the content type', () => {
    const [request] = parseBatch({ requests: [{ id: '1', method: 'post', url: '/orders', body: { a: 1 } }] }, 20);
    expect(request).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json' }, dependsOn: [] });
  });
});
