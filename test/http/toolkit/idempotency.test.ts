import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Generated, Kysely } from 'kysely';
import { compressionPlugin, idempotencyPlugin, MemoryIdempotencyStore, RedisIdempotencyStore, type IdempotencyStore } from '../../../src/http/toolkit/index.ts';
import { fakeAuth, randomPrefix, testApp } from './support/app.ts';
import { sqliteKysely } from './support/node-sqlite.ts';
import { deletePrefix, SHARED_REDIS_URL } from './support/redis.ts';

interface DB {
  orders: { id: Generated<number>; customer: string };
}

const redis = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 1 });
const prefix = randomPrefix('idem');
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

function suite(label: string, makeStore: () => IdempotencyStore): void {
  describe(`Idempotency-Key with the ${label} store`, () => {
    let app: FastifyInstance;
    let db: Kysely<DB>;
    let gate: { reached: () => void; wait: Promise<void> } | null = null;
    let failNext = false;
    beforeAll(async () => {
      ({ db } = sqliteKysely<DB>());
      await db.schema
        .createTable('orders')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('customer', 'text', (c) => c.notNull())
        .execute();
      app = testApp();
      await app.register(async (api) => {
        fakeAuth(api);
        await api.register(idempotencyPlugin, { store: makeStore() });
        await api.register(compressionPlugin);
        api.post('/orders', async (request, reply) => {
          if (gate !== null) {
            gate.reached();
            await gate.wait;
          }
          if (failNext) {
            failNext = false;
            throw new Error('database went away');
          }
          const row = await db
            .insertInto('orders')
            .values({ customer: (request.body as { customer: string }).customer })
            .returning('id')
            .executeTakeFirstOrThrow();
          return reply
            .code(201)
            .header('location', `/orders/${row.id}`)
            .send({ id: row.id, padding: 'p'.repeat(2000) });
        });
        api.post('/payments', { config: { idempotency: 'required' } }, async () => ({ ok: true }));
        api.post('/search', { config: { idempotency: false } }, async () => ({ ok: true }));
      });
      await app.ready();
    });
    afterAll(async () => {
      await app.close();
      await db.destroy();
    });
    const count = async (): Promise<number> =>
      (
        await db
          .selectFrom('orders')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n;
    const post = (key: string | undefined, body: unknown, authorization = 'Bearer 1:write', extra: Record<string, string> = {}) =>
      app.inject({
        method: 'POST',
        url: '/orders',
        headers: { authorization, ...(key === undefined ? {} : { 'idempotency-key': key }), ...extra },
        payload: body as Record<string, unknown>,
      });

    it('a replay returns the stored response and does not create a second order', async () => {
      const key = `order-${Math.random()}`;
      const first = await post(key, { customer: 'ada' });
      expect(first.statusCode).toBe(201);
      const replay = await post(key, { customer: 'ada' }, 'Bearer 1:write', { 'accept-encoding': 'gzip' });
      expect(replay.statusCode).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.headers['location']).toBe(first.headers['location']);
      expect(replay.headers['content-encoding']).toBe('gzip'); // stored plain, negotiated per replay
      expect(await count()).toBe(1);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
    });

    it('reusing a key with a different body is a 422', async () => {
      const key = `order-${Math.random()}`;
      await post(key, { customer: 'bob' });
      const reuse = await post(key, { customer: 'eve' });
      expect(reuse.statusCode).toBe(422);
      expect(reuse.json()).toMatchObject({ code: 'idempotency_key_reused' });
    });

    it('scopes keys by API key', async () => {
      const key = `order-${Math.random()}`;
      const before = await count();
      await post(key, { customer: 'c' }, 'Bearer 1:write');
      const other = await post(key, { customer: 'c' }, 'Bearer 2:write');
      expect(other.headers['idempotent-replayed']).toBeUndefined();
      expect(await count()).toBe(before + 2);
    });

    it('a concurrent duplicate gets 409 while the first is in flight, then the replay', async () => {
      const key = `order-${Math.random()}`;
      let open = (): void => undefined;
      let reached = (): void => undefined;
      const inHandler = new Promise<void>((resolve) => (reached = resolve));
      gate = { reached, wait: new Promise<void>((resolve) => (open = resolve)) };
      const first = post(key, { customer: 'dup' });
      await inHandler; // the first request holds the claim and sits in the handler
      const duplicate = await post(key, { customer: 'dup' });
      expect(duplicate.statusCode).toBe(409);
      expect(duplicate.headers['retry-after']).toBe('1');
      gate = null;
      open();
      expect((await first).statusCode).toBe(201);
      expect((await post(key, { customer: 'dup' })).headers['idempotent-replayed']).toBe('true');
    });

    it('a failed (5xx) attempt frees the key for a retry', async () => {
      const key = `order-${Math.random()}`;
      failNext = true;
      expect((await post(key, { customer: 'retry' })).statusCode).toBe(500);
      const retry = await post(key, { customer: 'retry' });
      expect(retry.statusCode).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
    });

    it('validates the header and honours route modes', async () => {
      for (const bad of ['', 'x'.repeat(256), 'has space', 'ключ']) {
        const response = await post(bad, { customer: 'x' });
        expect(response.statusCode).toBe(400);
      }
      expect((await app.inject({ method: 'POST', url: '/payments', payload: {} })).statusCode).toBe(400);
      const key = `search-${Math.random()}`;
      await app.inject({ method: 'POST', url: '/search', headers: { 'idempotency-key': key }, payload: {} });
      const again = await app.inject({ method: 'POST', url: '/search', headers: { 'idempotency-key': key }, payload: {} });
      expect(again.headers['idempotent-replayed']).toBeUndefined();
    });
  });
}

suite('in-process', () => new MemoryIdempotencyStore());
suite('Redis', () => new RedisIdempotencyStore({ redis, keyPrefix: prefix }));
