import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, pendingMigrations, translateDatabaseError, withoutDiskFlush } from '../../src/db/index.ts';
import { ConflictError, UnavailableError, ValidationError } from '../../src/shared/errors.ts';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/db.ts';

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe.each(DIALECTS)('data layer foundation (%s)', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(dialect);
  });
  afterAll(async () => t.cleanup());

  const customer = (code: string, extra: Record<string, unknown> = {}) => ({
    code,
    name: `Customer ${code}`,
    email: `${code}@example.test`,
    country: 'DE',
    segment: 'retail',
    credit_limit_cents: 100_000,
    payment_terms_days: 30,
    ...extra,
  });

  it('has applied every migration, seeded the chart of accounts and is idempotent', async () => {
    expect(await pendingMigrations(t.db)).toEqual([]);
    expect(await migrateToLatest(t.db)).toEqual({ applied: [] });
    const accounts = await t.db.kysely.selectFrom('accounts').selectAll().orderBy('code').execute();
    expect(accounts.map((a) => a.type)).toEqual(expect.arrayContaining(['asset', 'revenue', 'cogs', 'expense']));
    expect(accounts.filter((a) => a.type === 'expense').length).toBeGreaterThanOrEqual(3);
    await t.db.ping();
  });

  it('returns the same JS types on both dialects', async () => {
    const { id } = await t.db.kysely.insertInto('customers').values(customer('TYPES')).returning('id').executeTakeFirstOrThrow();
    expect(typeof id).toBe('number');
    const row = await t.db.kysely.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.created_at).toMatch(ISO_TIMESTAMP);
    expect(row.version).toBe(1);
    expect(row.credit_limit_cents).toBe(100_000);
    const order = await t.db.kysely
      .insertInto('orders')
      .values({
        order_no: 'SO-T1',
        customer_id: id,
        order_date: '2026-02-28',
        status: 'confirmed',
        currency: 'EUR',
        total_cents: 9_000_000_000_000,
        cost_cents: 1,
      })
      .returning(['order_date', 'total_cents', 'created_at'])
      .executeTakeFirstOrThrow();
    expect(order).toMatchObject({ order_date: '2026-02-28', total_cents: 9_000_000_000_000 });
    expect(order.created_at).toMatch(ISO_TIMESTAMP);
    const agg = await t.db.kysely
      .selectFrom('orders')
      .select((eb) => [eb.fn.countAll().as('n'), eb.fn.sum('total_cents').as('sum')])
      .executeTakeFirstOrThrow();
    expect(agg).toEqual({ n: 1, sum: 9_000_000_000_000 });
    const doc = await t.db.kysely
      .insertInto('documents')
      .values({ title: 'a', filename: 'a.txt', media_type: 'text/plain', size_bytes: 1, sha256: 'x', status: 'pending', metadata: '{"k": [1, 2]}' })
      .returning('metadata')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(doc.metadata)).toEqual({ k: [1, 2] });
    await t.db.kysely.deleteFrom('orders').execute();
    await t.db.kysely.deleteFrom('documents').execute();
  });

  it('maps a unique violation to ConflictError naming the column', async () => {
    await t.db.kysely.insertInto('customers').values(customer('DUP')).execute();
    const error = translateDatabaseError(
      await rejection(
        t.db.kysely
          .insertInto('customers')
          .values(customer('DUP', { email: 'other@x.test' }))
          .execute(),
      ),
    );
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).message).toContain('code');
    expect((error as ConflictError).status).toBe(409);
  });

  it('maps foreign-key failures: missing parent → ValidationError, parent still used → ConflictError', async () => {
    const missing = translateDatabaseError(
      await rejection(
        t.db.kysely
          .insertInto('orders')
          .values({ order_no: 'SO-FK', customer_id: 987654, order_date: '2026-01-01', status: 'draft', currency: 'EUR', total_cents: 0, cost_cents: 0 })
          .execute(),
      ),
    );
    expect(missing).toBeInstanceOf(ValidationError);
    const { id } = await t.db.kysely.insertInto('customers').values(customer('REF')).returning('id').executeTakeFirstOrThrow();
    await t.db.kysely
      .insertInto('orders')
      .values({ order_no: 'SO-REF', customer_id: id, order_date: '2026-01-01', status: 'draft', currency: 'EUR', total_cents: 0, cost_cents: 0 })
      .execute();
    const used = translateDatabaseError(await rejection(t.db.kysely.deleteFrom('customers').where('id', '=', id).execute()), { operation: 'delete' });
    expect(used).toBeInstanceOf(ConflictError);
    expect((used as ConflictError).code).toBe('still_referenced');
  });

  it('maps check and not-null violations to ValidationError; leaves other errors alone', async () => {
    const badStatus = translateDatabaseError(
      await rejection(
        t.db.kysely
          .insertInto('customers')
          .values(customer('NEG', { credit_limit_cents: -1 }))
          .execute(),
      ),
    );
    expect(badStatus).toBeInstanceOf(ValidationError);
    expect((badStatus as ValidationError).message).toContain('customers_amounts_check');
    const ledger = translateDatabaseError(
      await rejection(
        t.db.kysely
          .insertInto('ledger_entries')
          .values({ entry_date: '2026-01-01', account_code: '1000', debit_cents: 5, credit_cents: 5, reference: 'X' })
          .execute(),
      ),
    );
    expect(ledger).toBeInstanceOf(ValidationError);
    const noName = translateDatabaseError(
      await rejection(
        t.db.kysely
          .insertInto('customers')
          .values(customer('NULL', { name: null as unknown as string }))
          .execute(),
      ),
    );
    expect(noName).toBeInstanceOf(ValidationError);
    expect((noName as ValidationError).issues[0]?.field).toBe('name');
    const syntax = await rejection(sql`selec nonsense`.execute(t.db.kysely));
    expect(translateDatabaseError(syntax)).toBe(syntax);
    const plain = new Error('boom');
    expect(translateDatabaseError(plain)).toBe(plain);
    expect(translateDatabaseError('not an error')).toBe('not an error');
  });

  it('cascades order lines with their order and stores hostile text verbatim', async () => {
    const hostile = `Robert'); DROP TABLE customers;-- \u0000 \u{1F600} ${'x'.repeat(1_000_000)}`.replace('\u0000', '');
    const { id } = await t.db.kysely
      .insertInto('customers')
      .values(customer('EVIL', { name: hostile }))
      .returning('id')
      .executeTakeFirstOrThrow();
    const back = await t.db.kysely.selectFrom('customers').select('name').where('id', '=', id).executeTakeFirstOrThrow();
    expect(back.name).toBe(hostile);
    const { id: productId } = await t.db.kysely
      .insertInto('products')
      .values({ sku: 'P1', name: 'P', category: 'c', unit_cost_cents: 1, unit_price_cents: 2 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { id: orderId } = await t.db.kysely
      .insertInto('orders')
      .values({ order_no: 'SO-CASCADE', customer_id: id, order_date: '2026-01-01', status: 'draft', currency: 'EUR', total_cents: 2, cost_cents: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db.kysely
      .insertInto('order_lines')
      .values({
        order_id: orderId,
        line_no: 1,
        product_id: productId,
        quantity: 1,
        unit_price_cents: 2,
        unit_cost_cents: 1,
        discount_bp: 0,
        line_total_cents: 2,
      })
      .execute();
    await t.db.kysely.deleteFrom('orders').where('id', '=', orderId).execute();
    const lines = await t.db.kysely.selectFrom('order_lines').select('id').where('order_id', '=', orderId).execute();
    expect(lines).toEqual([]);
    expect(await t.db.kysely.selectFrom('customers').select('id').where('id', '=', id).execute()).toHaveLength(1);
  });

  it('streams rows while the same query runs again on the side', async () => {
    const query = () => t.db.kysely.selectFrom('accounts').select('code').orderBy('code');
    const streamed: string[] = [];
    for await (const row of query().stream()) {
      streamed.push(row.code);
      if (streamed.length === 2) expect((await query().execute()).length).toBeGreaterThan(5);
    }
    expect(streamed).toEqual((await query().execute()).map((r) => r.code));
  });

  it('keeps concurrent transactions apart and hides uncommitted writes from other readers', async () => {
    const before = await countCustomers(t);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = t.db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('customers').values(customer('TX-A')).execute();
      await gate;
      await trx.insertInto('customers').values(customer('TX-B')).execute();
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // A read outside the transaction neither waits for it nor sees its rows.
    expect(await countCustomers(t)).toBe(before);
    const other = t.db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('customers').values(customer('TX-C')).execute();
    });
    release();
    await Promise.all([slow, other]);
    expect(await countCustomers(t)).toBe(before + 3);
    await rejection(
      t.db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('customers').values(customer('TX-ROLLBACK')).execute();
        throw new Error('abort');
      }),
    );
    expect(await countCustomers(t)).toBe(before + 3);
  });
});

describe.each(DIALECTS)('closed database (%s)', (dialect) => {
  it('ping rejects with UnavailableError after close, and close is idempotent', async () => {
    const t = await openTestDatabase(dialect);
    await t.cleanup();
    await t.db.close();
    expect(await rejection(t.db.ping())).toBeInstanceOf(UnavailableError);
  });
});

async function countCustomers(t: TestDatabase): Promise<number> {
  const row = await t.db.kysely
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('in-memory SQLite', () => {
  it('works without readers, for throwaway use', async () => {
    const db = await openDatabase({ kind: 'sqlite', file: ':memory:' });
    try {
      expect((await migrateToLatest(db)).applied).toContain('0002-erp-tables');
      await db.kysely
        .insertInto('customers')
        .values({ code: 'M', name: 'Mem', country: 'DE', segment: 'smb', credit_limit_cents: 0, payment_terms_days: 0 })
        .execute();
      expect(await db.kysely.selectFrom('customers').select('code').execute()).toEqual([{ code: 'M' }]);
      expect(db.pool.stats()).toMatchObject({ dialect: 'sqlite', total: 1, walBytes: 0 });
    } finally {
      await db.close();
    }
  });
});

describe('SQLite durability', () => {
  it('fsyncs every commit unless synchronous=normal is asked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-sync-'));
    const level = async (config: Partial<{ synchronous: 'full' | 'normal' }>) => {
      const db = await openDatabase({ kind: 'sqlite', file: join(dir, `${config.synchronous ?? 'default'}.db`), ...config });
      try {
        if (db.native.dialect !== 'sqlite') throw new Error('expected SQLite');
        return (db.native.sqlite.writer.db.prepare('pragma synchronous').get() as { synchronous: number }).synchronous;
      } finally {
        await db.close();
      }
    };
    try {
      // SQLite's codes: 1 = NORMAL, 2 = FULL.
      expect(await level({})).toBe(2);
      expect(await level({ synchronous: 'full' })).toBe(2);
      expect(await level({ synchronous: 'normal' })).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('withoutDiskFlush lowers the level for its own transactions only, and restores FULL after commit and rollback', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-sync-'));
    const db = await openDatabase({ kind: 'sqlite', file: join(dir, 'relaxed.db') });
    try {
      const level = async (trx: typeof db.kysely) => (await sql<{ synchronous: number }>`pragma synchronous`.execute(trx)).rows[0]?.synchronous;
      const inside: (number | undefined)[] = [];
      // A durable transaction queued behind the relaxed one must not inherit its level.
      const [relaxed, durable] = await Promise.all([
        withoutDiskFlush(() => db.kysely.transaction().execute((trx) => level(trx))),
        db.kysely.transaction().execute((trx) => level(trx)),
      ]);
      inside.push(relaxed, durable);
      const failed = await rejection(
        withoutDiskFlush(() =>
          db.kysely.transaction().execute(async (trx) => {
            inside.push(await level(trx));
            throw new Error('roll back');
          }),
        ),
      );
      expect((failed as Error).message).toBe('roll back');
      expect(inside).toEqual([1, 2, 1]);
      expect(await level(db.kysely)).toBe(2);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
