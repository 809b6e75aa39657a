import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchInsert } from '../../src/db/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/db.ts';

/**
 * On PostgreSQL plain batch inserts are loaded with COPY, upserts with INSERT: every kind of value
 * must be stored exactly as the INSERT path (pg's own parameter conversion) stores it.
 */
describe('batch writer COPY path stores what the INSERT path stores (postgres)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('postgres');
    for (const table of ['types_copy', 'types_insert'])
      await sql
        .raw(
          `create table ${table} (id integer primary key, big bigint, small integer, real_value double precision, exact numeric,
           flag boolean, at timestamptz, plain_at timestamp, day date, doc jsonb, doc_json json, bytes bytea, label text, tags text[])`,
        )
        .execute(t.db.kysely);
  });
  afterAll(async () => t.cleanup());

  const tricky = 'tab\there\nnew line\r \\N back\\slash "quotes" \'single\' ünïcödé 😀 \\.';
  const rows = [
    {
      id: 1,
      big: 9_007_199_254_740_993n,
      small: -5,
      real_value: 1.5e-7,
      exact: '12345678901234567890.123456789',
      flag: true,
      at: new Date('2026-03-01T12:34:56.789Z'),
      plain_at: new Date('2026-07-01T23:30:00.001Z'),
      day: '2026-01-31',
      doc: { a: 1, s: tricky, n: null, list: [1, 'two', { three: 3 }] },
      doc_json: { nested: { deep: [true, false, null] } },
      bytes: Buffer.from([0, 1, 0x09, 0x0a, 0x0d, 0x5c, 0xfe, 0xff]),
      label: tricky,
      tags: ['a', 'b c', '"quoted"', 'back\\slash', 'tab\tnew\nline', null, ''],
    },
    {
      id: 2,
      big: -42,
      small: 0,
      real_value: -0.1,
      exact: 0.25,
      flag: false,
      at: '2026-12-31T23:59:59.999Z',
      plain_at: '2026-01-01 00:00:00',
      day: new Date(2026, 0, 31),
      doc: '[1, 2, "3"]',
      doc_json: '{"kept":  "as written"}',
      bytes: new Uint8Array([1, 2, 3, 250]),
      label: '',
      tags: [],
    },
    {
      id: 3,
      big: null,
      small: undefined,
      real_value: null,
      exact: null,
      flag: null,
      at: null,
      plain_at: null,
      day: null,
      doc: null,
      doc_json: null,
      bytes: Buffer.alloc(0),
      label: 'NULL',
      tags: null,
    },
  ];

  it('round-trips every type identically', async () => {
    await batchInsert(t.db, 'types_copy' as never, rows as never);
    await batchInsert(t.db, 'types_insert' as never, rows as never, { onConflict: { columns: ['id'] } });
    const statements = t.db.slowQueries!.getSlowQueries({ all: true, limit: 1000 }).map((s) => s.query);
    expect(statements.some((q) => q.startsWith('copy "types_copy"'))).toBe(true);
    expect(statements.some((q) => q.startsWith('insert into "types_insert"'))).toBe(true);
    const read = async (table: string) => (await sql.raw(`select * from ${table} order by id`).execute(t.db.kysely)).rows;
    const copied = await read('types_copy');
    expect(copied).toEqual(await read('types_insert'));
    expect(copied).toHaveLength(3);
    // Spot checks that the comparison is about real values, not two equal failures.
    expect(copied[0]).toMatchObject({ big: '9007199254740993', label: tricky, bytes: Buffer.from([0, 1, 0x09, 0x0a, 0x0d, 0x5c, 0xfe, 0xff]) });
    expect(copied[2]).toMatchObject({ label: 'NULL', small: null, bytes: Buffer.alloc(0) });
  });
});
