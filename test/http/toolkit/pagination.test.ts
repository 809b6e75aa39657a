import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import {
  createCursorCodec,
  paginate,
  paginateSource,
  parseKeysetParams,
  parseOffsetParams,
  setPageLinks,
  type KeysetPage,
  type OffsetPage,
} from '../../../src/http/toolkit/index.ts';
import { sqliteKysely } from './support/node-sqlite.ts';
import { testApp } from './support/app.ts';

interface Row {
  id: number;
  score: number;
  name: string;
}
interface DB {
  items: { id: number; score: number; name: string };
}

const cursors = createCursorCodec('test-secret-of-at-least-16-bytes');

describe('paginate(items, page, pageSize) — the seed API', () => {
  const items = Array.from({ length: 45 }, (_, i) => i + 1);
  it('returns the page and its position', () => {
    expect(paginate(items, 2, 20)).toEqual({ data: items.slice(20, 40), page: 2, page_size: 20, total: 45, total_pages: 3, has_next: true, has_prev: true });
    expect(paginate(items, 3, 20)).toMatchObject({ data: [41, 42, 43, 44, 45], has_next: false });
    expect(paginate(items, 9, 20).data).toEqual([]);
    expect(paginate([], 1, 10)).toMatchObject({ total: 0, total_pages: 1, has_next: false });
  });
  it.each([
    [1, 0],
    [1, 10_000],
    [0, 10],
    [-1, 10],
    [1.5, 10],
    [1, Number.NaN],
  ])('rejects page %s, size %s', (page, size) => {
    expect(() => paginate(items, page, size)).toThrow(expect.objectContaining({ status: 400 }) as Error);
  });
});

describe('keyset misuse', () => {
  it('reports a sort column missing from the rows as a server error', async () => {
    const rows = [{ id: 1 }, { id: 2 }];
    await expect(paginateSource(rows, { mode: 'keyset', limit: 1, cursors, sort: { column: 'created_at' } })).rejects.toMatchObject({
      status: 500,
      code: 'keyset_sort_missing',
    });
  });
});

describe('query parameters', () => {
  it('parses and defaults', () => {
    expect(parseOffsetParams({})).toEqual({ page: 1, pageSize: 20 });
    expect(parseOffsetParams({ page: '3', page_size: '100' })).toEqual({ page: 3, pageSize: 100 });
    expect(parseKeysetParams({ limit: '5', cursor: 'abc' })).toEqual({ limit: 5, cursor: 'abc' });
  });
  it.each([
    { page_size: '0' },
    { page_size: '10000' },
    { page_size: 'ten' },
    { page: '-1' },
    { page: '1e3' },
    { page_size: ['1', '2'] },
    { page_size: '9'.repeat(400) },
  ])('rejects %j with a message naming the field', (query) => {
    expect(() => parseOffsetParams(query)).toThrow(/must be an integer from 1 to/);
  });
  it.each([{ limit: '0' }, { limit: '101' }, { cursor: '' }, { cursor: ['a', 'b'] }])('rejects keyset %j', (query) => {
    expect(() => parseKeysetParams(query)).toThrow(expect.objectContaining({ status: 400 }) as Error);
  });
});

describe('cursors', () => {
  it('round-trip, and reject forged, truncated or foreign cursors', () => {
    const cursor = cursors.encode({ sort: 'id:id:asc', values: [5, 5] });
    expect(cursors.decode(cursor, 'id:id:asc').values).toEqual([5, 5]);
    const [body, mac] = cursor.split('.') as [string, string];
    const forgedBody = Buffer.from(JSON.stringify(['id:id:asc', [999, 999]])).toString('base64url');
    for (const bad of [`${forgedBody}.${mac}`, body, `${body}.`, `${body}.${mac}.x`, 'x'.repeat(2000), '%%%.***', `${body}.${mac.slice(1)}`]) {
      expect(() => cursors.decode(bad, 'id:id:asc')).toThrow(/cursor is not valid/);
    }
    expect(() => cursors.decode(cursor, 'score:id:desc')).toThrow(/another list or sort order/);
    expect(() => createCursorCodec('short')).toThrow(/16 bytes/);
    // Signed with another secret = forged.
    expect(() => createCursorCodec('another-secret-of-16-bytes').decode(cursor, 'id:id:asc')).toThrow(/cursor is not valid/);
  });
});

describe('Kysely sources on SQLite (node:sqlite)', () => {
  let db: Kysely<DB>;
  let app: FastifyInstance;
  beforeAll(async () => {
    ({ db } = sqliteKysely<DB>());
    await db.schema
      .createTable('items')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('score', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('items_score_id').on('items').columns(['score', 'id']).execute();
    // Many equal scores so the id tie-breaker matters.
    await db
      .insertInto('items')
      .values(Array.from({ length: 250 }, (_, i) => ({ id: i + 1, score: i % 7, name: `item ${i + 1}` })))
      .execute();

    app = testApp();
    app.get('/items', async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const base = db.selectFrom('items').select(['id', 'score', 'name']);
      if (query['mode'] === 'offset') {
        const { page, pageSize } = parseOffsetParams(query);
        const result = await paginateSource(base.orderBy('id'), { mode: 'offset', page, pageSize });
        setPageLinks(request, reply, result);
        return result;
      }
      const { limit, cursor } = parseKeysetParams(query);
      const result = await paginateSource(base, {
        mode: 'keyset',
        limit,
        cursor,
        cursors,
        sort: { column: 'score', direction: query['dir'] === 'desc' ? 'desc' : 'asc' },
      });
      setPageLinks(request, reply, result);
      return result;
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await db.destroy();
  });

  it('offset mode: page, total and RFC 8288 links', async () => {
    const response = await app.inject({ url: '/items?mode=offset&page=2&page_size=100' });
    const body = response.json<OffsetPage<Row>>();
    expect(body).toMatchObject({ page: 2, page_size: 100, total: 250, total_pages: 3, has_next: true, has_prev: true });
    expect(body.data[0]?.id).toBe(101);
    const link = response.headers['link'] as string;
    expect(link).toContain('</items?mode=offset&page=1&page_size=100>; rel="first"');
    expect(link).toContain('</items?mode=offset&page=1&page_size=100>; rel="prev"');
    expect(link).toContain('</items?mode=offset&page=3&page_size=100>; rel="next"');
    expect(link).toContain('</items?mode=offset&page=3&page_size=100>; rel="last"');
  });

  it('offset mode without a count still knows whether there is a next page', async () => {
    const last = await paginateSource(db.selectFrom('items').selectAll().orderBy('id'), { mode: 'offset', page: 3, pageSize: 100, withTotal: false });
    expect(last).toMatchObject({ total: null, has_next: false });
    expect(last.data).toHaveLength(50);
  });

  it('keyset mode: a client following cursors sees every row exactly once while rows are inserted', async () => {
    const seen: number[] = [];
    let url = '/items?limit=17';
    let nextId = 10_000;
    for (let pages = 0; pages < 100; pages++) {
      // Concurrent writers: new rows with scores before, inside and after the current position.
      await db
        .insertInto('items')
        .values([0, 3, 6].map((score) => ({ id: nextId++, score, name: 'late' })))
        .execute();
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(200);
      const page = response.json<KeysetPage<Row>>();
      seen.push(...page.data.filter((row) => row.id <= 250).map((row) => row.id));
      if (!page.has_more) {
        expect(page.next_cursor).toBeNull();
        break;
      }
      expect(response.headers['link']).toContain('rel="next"');
      url = `/items?limit=17&cursor=${encodeURIComponent(page.next_cursor ?? '')}`;
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);
  });

  it('keyset mode works descending and on arrays with the same result as SQL', async () => {
    const sql = await paginateSource(db.selectFrom('items').selectAll().where('id', '<=', 250), {
      mode: 'keyset',
      limit: 30,
      cursors,
      sort: { column: 'score', direction: 'desc' },
    });
    const rows = await db.selectFrom('items').selectAll().where('id', '<=', 250).execute();
    const memory = await paginateSource(rows, { mode: 'keyset', limit: 30, cursors, sort: { column: 'score', direction: 'desc' } });
    expect(memory.data).toEqual(sql.data);
    expect(memory.next_cursor).toBe(sql.next_cursor);
    const second = await paginateSource(rows, {
      mode: 'keyset',
      limit: 30,
      cursors,
      cursor: memory.next_cursor ?? '',
      sort: { column: 'score', direction: 'desc' },
    });
    expect(second.data[0]).toEqual(rows.filter((r) => r.score === 6).sort((a, b) => b.id - a.id)[30]);
  });

  it.each([
    ['/items?limit=0', /limit must be an integer from 1 to 100/],
    ['/items?limit=10000', /limit must be an integer from 1 to 100/],
    ['/items?mode=offset&page_size=0', /page_size must be an integer/],
    ['/items?mode=offset&page_size=10000', /page_size must be an integer/],
    ['/items?cursor=not-a-cursor', /cursor is not valid/],
    ['/items?cursor=eyJpZCI6MX0.AAAAAAAAAAAAAAAAAAAAAA', /cursor is not valid/],
    [`/items?dir=desc&cursor=${cursors.encode({ sort: 'score:id:asc', values: [1, 1] })}`, /another list or sort order/],
  ])('%s → 400', async (url, message) => {
    const response = await app.inject({ url });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ detail: string }>().detail).toMatch(message);
  });
});
