import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchInsert, QueryCache, type QueryCacheStore } from '../../src/db/index.ts';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/db.ts';

describe.each(DIALECTS)('query cache (%s)', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(dialect);
    await t.db.kysely
      .insertInto('customers')
      .values({ code: 'C1', name: 'First', country: 'DE', segment: 'smb', credit_limit_cents: 0, payment_terms_days: 30 })
      .execute();
  });
  afterAll(async () => t.cleanup());

  const customersQuery = () => t.db.kysely.selectFrom('customers').select(['code', 'name']).orderBy('code');

  it('serves repeated reads from the cache and invalidates them on a write through the data layer', async () => {
    const cache = new QueryCache(t.db);
    expect(await cache.execute(customersQuery())).toEqual([{ code: 'C1', name: 'First' }]);
    // A write that bypasses the data layer is invisible to the cache: proof the second read is cached.
    const native = t.db.native;
    const sneaky = "update customers set name = 'Sneaky' where code = 'C1'";
    if (native.dialect === 'sqlite') await native.sqlite.withWriter(({ db }) => db.exec(sneaky));
    else await native.pool.query(sneaky);
    expect(await cache.execute(customersQuery())).toEqual([{ code: 'C1', name: 'First' }]);
    expect(cache.hits).toBe(1);
    await t.db.kysely.updateTable('customers').set({ name: 'Renamed' }).where('code', '=', 'C1').execute();
    expect(await cache.execute(customersQuery())).toEqual([{ code: 'C1', name: 'Renamed' }]);
    expect(cache.stale).toBe(1);
  });

  it('keys by parameters and is invalidated by inserts, batch writes, raw SQL and joins', async () => {
    const cache = new QueryCache(t.db);
    const byCode = (code: string) => t.db.kysely.selectFrom('customers').select('name').where('code', '=', code);
    expect(await cache.execute(byCode('C1'))).toHaveLength(1);
    expect(await cache.execute(byCode('C2'))).toHaveLength(0);
    await t.db.kysely
      .insertInto('customers')
      .values({ code: 'C2', name: 'Second', country: 'FR', segment: 'smb', credit_limit_cents: 0, payment_terms_days: 30 })
      .execute();
    expect(await cache.execute(byCode('C2'))).toEqual([{ name: 'Second' }]);
    const joined = () => t.db.kysely.selectFrom('orders as o').innerJoin('customers as c', 'c.id', 'o.customer_id').select(['o.order_no', 'c.name']);
    expect(await cache.execute(joined())).toEqual([]);
    const { id } = await t.db.kysely.selectFrom('customers').select('id').where('code', '=', 'C2').executeTakeFirstOrThrow();
    await batchInsert(t.db, 'orders', [
      { order_no: 'SO-1', customer_id: id, order_date: '2026-01-01', status: 'draft', currency: 'EUR', total_cents: 0, cost_cents: 0 },
    ]);
    expect(await cache.execute(joined())).toEqual([{ order_no: 'SO-1', name: 'Second' }]);
    await sql`delete from orders where order_no = ${'SO-1'}`.execute(t.db.kysely);
    expect(await cache.execute(joined())).toEqual([]);
  });

  it('uses a pluggable store with the TTL as safety net', async () => {
    const calls: string[] = [];
    const map = new Map<string, unknown>();
    const store: QueryCacheStore = {
      get: async (key) => {
        calls.push('get');
        return map.get(key);
      },
      set: async (key, value, ttlMs) => {
        calls.push(`set:${ttlMs}`);
        map.set(key, value);
      },
      delete: async (key) => {
        calls.push('delete');
        return map.delete(key);
      },
    };
    const cache = new QueryCache(t.db, { store, ttlMs: 1234 });
    await cache.execute(customersQuery());
    await cache.execute(customersQuery());
    expect(calls).toEqual(['get', 'set:1234', 'get']);
    expect(map.size).toBe(1);
    // Hostile parameter values are only hashed into the key, never interpreted.
    const hostile = "x' or 1=1 --";
    expect(await cache.execute(t.db.kysely.selectFrom('customers').select('code').where('name', '=', hostile))).toEqual([]);
  });
});

describe.each(DIALECTS)('query cache and transactions (%s)', (dialect) => {
  it('does not keep serving rows read while a writing transaction was still open', async () => {
    const t = await openTestDatabase(dialect);
    try {
      await t.db.kysely.insertInto('products').values({ sku: 'P', name: 'Before', category: 'c', unit_cost_cents: 1, unit_price_cents: 2 }).execute();
      const cache = new QueryCache(t.db);
      const read = () => cache.execute(t.db.kysely.selectFrom('products').select('name').where('sku', '=', 'P'));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let written!: () => void;
      const updated = new Promise<void>((resolve) => {
        written = resolve;
      });
      const transaction = t.db.kysely.transaction().execute(async (trx) => {
        await trx.updateTable('products').set({ name: 'After' }).where('sku', '=', 'P').execute();
        written();
        await gate;
      });
      await updated;
      // Read during the open transaction: old rows, cached under the version the update already bumped.
      expect(await read()).toEqual([{ name: 'Before' }]);
      release();
      await transaction;
      expect(await read()).toEqual([{ name: 'After' }]);
    } finally {
      await t.cleanup();
    }
  });
});
