import { Kysely, PostgresDialect, sql, type Generated } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCursorCodec, paginateSource, type KeysetPage } from '../../../src/http/toolkit/index.ts';

interface DB {
  orders: { id: Generated<string>; placed_at: Date; customer: string };
}

// Same helper on PostgreSQL: bigint ids come back as strings, timestamps as Date, count(*) as a string.
describe('paginateSource on PostgreSQL', () => {
  const schema = `toolkit_${Math.random().toString(36).slice(2, 10)}`;
  const pool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'root', database: 'test', max: 4 });
  pool.on('connect', (client) => void client.query(`SET search_path TO ${schema}`));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const cursors = createCursorCodec('postgres-test-secret-0123456789');
  const base = new Date('2026-01-01T00:00:00Z').getTime();

  beforeAll(async () => {
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(db);
    await sql`CREATE TABLE ${sql.id(schema, 'orders')} (id bigserial PRIMARY KEY, placed_at timestamptz NOT NULL, customer text NOT NULL)`.execute(db);
    await sql`CREATE INDEX ON ${sql.id(schema, 'orders')} (placed_at, id)`.execute(db);
    // Timestamps repeat every 9 rows, so the id tie-breaker decides the order within equal times.
    await db
      .insertInto('orders')
      .values(Array.from({ length: 300 }, (_, i) => ({ placed_at: new Date(base + (i % 9) * 60_000), customer: `c${i}` })))
      .execute();
  });
  afterAll(async () => {
    await sql`DROP SCHEMA ${sql.id(schema)} CASCADE`.execute(db);
    await db.destroy();
  });

  it('offset mode counts with count(*) returned as text', async () => {
    const page = await paginateSource(db.selectFrom('orders').selectAll().orderBy('id'), { mode: 'offset', page: 3, pageSize: 100 });
    expect(page).toMatchObject({ total: 300, total_pages: 3, has_next: false, has_prev: true });
    expect(page.data).toHaveLength(100);
  });

  it('keyset mode on (timestamptz, bigint) sees every row exactly once while rows are inserted', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      await db
        .insertInto('orders')
        .values([
          { placed_at: new Date(base), customer: 'late-early' },
          { placed_at: new Date(base + 3_600_000), customer: 'late' },
        ])
        .execute();
      const page: KeysetPage<{ id: string; customer: string }> = await paginateSource(db.selectFrom('orders').select(['id', 'placed_at', 'customer']), {
        mode: 'keyset',
        limit: 23,
        cursor,
        cursors,
        sort: { column: 'placed_at', direction: 'desc' },
      });
      seen.push(...page.data.filter((row) => !row.customer.startsWith('late')).map((row) => row.id));
      if (!page.has_more) break;
      cursor = page.next_cursor ?? undefined;
    }
    expect(seen).toHaveLength(300);
    expect(new Set(seen).size).toBe(300);
  });
});
