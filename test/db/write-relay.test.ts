import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache, type Cache } from '../../src/cache/index.ts';
import { openDatabase, parseTableWrites, QueryCache, relayTableWrites, type Db } from '../../src/db/index.ts';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/db.ts';
import { SHARED_REDIS_URL, ThrowawayRedis } from '../support/redis.ts';
import { eventually } from '../support/wait.ts';

const customer = (code: string) => ({ code, name: `Customer ${code}`, country: 'DE', segment: 'smb', credit_limit_cents: 0, payment_terms_days: 30 });

/** Two "nodes": two Db instances on one database, each with its own cache on one Redis, as two processes would have. */
describe.each(DIALECTS)('query cache across processes (%s)', (dialect) => {
  let t: TestDatabase;
  let other: Db;
  const caches: Cache[] = [];
  const stops: (() => Promise<void>)[] = [];
  const keyPrefix = `relay-test-${randomBytes(4).toString('hex')}`;
  const nodeCache = async (url = SHARED_REDIS_URL) => {
    const cache = await createCache({ redis: { url, keyPrefix } });
    caches.push(cache);
    return cache;
  };
  const relay = async (db: Db, cache: Cache) => {
    const stop = await relayTableWrites(db.writes, (handlers) => cache.channel('db-writes', handlers));
    stops.push(stop);
    return stop;
  };
  const count = (db: Db) => db.kysely.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n'));

  beforeAll(async () => {
    t = await openTestDatabase(dialect);
    other = await openDatabase(t.config);
  });
  afterAll(async () => {
    for (const stop of stops) await stop();
    for (const cache of caches) await cache.close();
    await other.close();
    await t.cleanup();
  });

  it("shows another node's writes at once instead of after the TTL", async () => {
    const otherQueries = new QueryCache(other, { ttlMs: 60_000 });
    expect(Number((await otherQueries.execute(count(other)))[0]!.n)).toBe(0);
    await t.db.kysely.insertInto('customers').values(customer('A1')).execute();
    // Without the relay the other node cannot know: its cached total is stale (what the relay fixes).
    expect(Number((await otherQueries.execute(count(other)))[0]!.n)).toBe(0);

    await relay(t.db, await nodeCache());
    await relay(other, await nodeCache());
    await t.db.kysely.insertInto('customers').values(customer('A2')).execute();
    await eventually(async () => Number((await otherQueries.execute(count(other)))[0]!.n) === 2, 5_000, 'the other node to see 2 customers');

    // And the other way round, including a write inside a transaction (announced again at COMMIT).
    const ownQueries = new QueryCache(t.db, { ttlMs: 60_000 });
    expect(Number((await ownQueries.execute(count(t.db)))[0]!.n)).toBe(2);
    await other.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('customers').values(customer('B1')).execute();
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    await eventually(async () => Number((await ownQueries.execute(count(t.db)))[0]!.n) === 3, 5_000, 'the first node to see 3 customers');
  });

  it('drops malformed, oversized and hostile messages and keeps working', async () => {
    // A node of its own: exactly one relay feeds its tracker, so one valid message is one bump.
    const node = await openDatabase(t.config);
    await relay(node, await nodeCache());
    const before = node.writes.version('customers');
    const raw = new Redis(SHARED_REDIS_URL);
    try {
      const channel = `${keyPrefix}:__channel:db-writes`;
      for (const text of [
        'not json',
        '[]',
        JSON.stringify({ v: 1, src: 'x', tables: 'customers' }),
        JSON.stringify({ v: 2, src: 'x', tables: ['customers'] }),
        JSON.stringify({ v: 1, tables: ['customers'] }),
        JSON.stringify({ v: 1, src: 'x', tables: ['customers; drop table customers'] }),
        JSON.stringify({ v: 1, src: 'x', tables: Array.from({ length: 101 }, (_, i) => `t${i}`) }),
        JSON.stringify({ v: 1, src: 'x', tables: [] }),
        JSON.stringify({ v: 1, src: 'x', tables: ['customers'], pad: 'x'.repeat(2 * 1024 * 1024) }),
      ]) {
        await raw.publish(channel, text);
      }
      // Messages arrive in order: once the valid one is applied, every hostile one before it was seen.
      await raw.publish(channel, JSON.stringify({ v: 1, src: 'x', tables: ['customers'] }));
      await eventually(() => node.writes.version('customers') > before, 5_000, 'the valid message');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(node.writes.version('customers')).toBe(before + 1);
    } finally {
      raw.disconnect();
      await stops.pop()!();
      await node.close();
    }
    expect(parseTableWrites({ tables: ['orders', 'order_lines'] })).toEqual({ tables: ['orders', 'order_lines'] });
    expect(parseTableWrites({ tables: [1] })).toBeUndefined();
  });

  it('counts every table as written after a reconnect, since messages may have been missed', async () => {
    const redis = await ThrowawayRedis.start();
    try {
      const db = await openDatabase(t.config);
      const cache = await createCache({ redis: { url: redis.url, keyPrefix } });
      const stop = await relayTableWrites(db.writes, (handlers) => cache.channel('db-writes', handlers));
      try {
        const queries = new QueryCache(db, { ttlMs: 60_000 });
        const before = Number((await queries.execute(count(db)))[0]!.n);
        // Written while this node is cut off from Redis: it would serve the old total for the whole TTL.
        await redis.stop();
        await t.db.kysely
          .insertInto('customers')
          .values(customer(`R${before}`))
          .execute();
        expect(Number((await queries.execute(count(db)))[0]!.n)).toBe(before);
        await redis.start();
        await eventually(async () => Number((await queries.execute(count(db)))[0]!.n) === before + 1, 5_000, 'the resync after reconnecting');
      } finally {
        await stop();
        await cache.close();
        await db.close();
      }
    } finally {
      await redis.stop();
    }
  });
});

describe('query cache relay without Redis', () => {
  it('publishes nowhere and changes nothing: one process has no one to tell', async () => {
    const t = await openTestDatabase('sqlite');
    const cache = await createCache({ redis: null });
    try {
      const stop = await relayTableWrites(t.db.writes, (handlers) => cache.channel('db-writes', handlers));
      await t.db.kysely.insertInto('customers').values(customer('N1')).execute();
      const queries = new QueryCache(t.db);
      expect(Number((await queries.execute(t.db.kysely.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n'))))[0]!.n)).toBe(1);
      await stop();
    } finally {
      await cache.close();
      await t.cleanup();
    }
  });
});
