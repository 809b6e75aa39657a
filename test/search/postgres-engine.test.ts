import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { Analyzer, PostgresSearchEngine, type SearchDocument } from '../../src/search/index.ts';
import { searchEngineSuite } from '../conformance/search-engine-suite.ts';
import { openTestDatabase } from '../support/db.ts';

const analyzer = new Analyzer();
searchEngineSuite('PostgreSQL full-text search', async () => {
  const database = await openTestDatabase('postgres', { migrate: false });
  const engine = new PostgresSearchEngine(database.db.kysely, analyzer);
  await engine.init();
  return { engine, close: () => database.cleanup() };
});

describe('PostgreSQL search: upgrading an index written before the postings table', () => {
  it('writes every row again from its stored text on init, with the same results, hashes and document frequencies', async () => {
    const database = await openTestDatabase('postgres', { migrate: false });
    try {
      const db = database.db.kysely;
      const documents: SearchDocument[] = [
        {
          id: 'a:0',
          documentId: 'a',
          title: '数据分析平台',
          body: '我们的数据分析平台支持实时报表。',
          language: 'zh',
          tags: ['x'],
          date: '2024-05-01T00:00:00.000Z',
        },
        { id: 'b:0', documentId: 'b', title: 'Package management', body: 'Install packages with apt-get and aptitude.', language: 'en' },
        { id: 'c:0', documentId: 'c', title: '报表', body: '分析数据，生成报表。Install 报表 tools.', type: 'note' },
      ];
      const before = new PostgresSearchEngine(db, analyzer);
      await before.init();
      await before.upsert(documents);
      const queries = ['数据分析', 'install packages', '报表', '"数据分析"', 'pack*', '分析 -平台'];
      const expected = await Promise.all(queries.map((q) => before.search({ q, limit: 10 })));
      const entries = await collect(before.entries());
      const terms = (await sql<{ term: string; df: number }>`select term, df from search_terms_1 order by term`.execute(db)).rows;
      // The layout of the previous version: no postings, no row key, bigrams and unstemmed words unmarked.
      await sql`drop table search_postings_1`.execute(db);
      await sql`alter table search_docs_1 drop column rid`.execute(db);
      await sql`update search_docs_1 set tsv = replace(tsv::text, ${'\u0001'}, '')::tsvector`.execute(db);
      await sql`update search_terms_1 set df = 0`.execute(db);
      await sql`drop function search_lookup, search_count`.execute(db);

      const after = new PostgresSearchEngine(db, analyzer);
      await after.init();
      for (const [k, q] of queries.entries()) expect(await after.search({ q, limit: 10 }), q).toEqual(expected[k]);
      expect(await collect(after.entries())).toEqual(entries);
      expect((await sql<{ term: string; df: number }>`select term, df from search_terms_1 order by term`.execute(db)).rows).toEqual(terms);
      // A second start finds nothing to upgrade; writes and deletes keep working.
      await new PostgresSearchEngine(db, analyzer).init();
      await after.remove(['c:0']);
      expect((await after.search({ q: '报表', limit: 10 })).hits.map((h) => h.id)).toEqual(['a:0']);
    } finally {
      await database.cleanup();
    }
  });
});

describe('PostgreSQL search: the functions a search calls', () => {
  it('are replaced by nodes starting at once, and read the generation another node swapped in', async () => {
    const database = await openTestDatabase('postgres', { migrate: false });
    try {
      const db = database.db.kysely;
      const [a, b] = [new PostgresSearchEngine(db, analyzer), new PostgresSearchEngine(db, analyzer)];
      // A first start of several nodes at once on an empty database: they create the tables and functions in turn.
      await Promise.all([a.init(), b.init(), new PostgresSearchEngine(db, analyzer).init(), new PostgresSearchEngine(db, analyzer).init()]);
      const unit = (id: string, body: string): SearchDocument => ({ id, documentId: id, title: id, body });
      await a.upsert([unit('old:0', 'replication lag'), unit('both:0', 'replication and backups')]);
      const found = await b.search({ q: 'replication', limit: 10 });
      expect([found.total, found.hits.map((h) => h.id).sort()]).toEqual([2, ['both:0', 'old:0']]);
      // Node a rebuilds from a source without old:0: node b's next search reads the new generation and its counts.
      const generation = (await b.stats()).generation;
      await a.rebuild(async function* () {
        yield [unit('both:0', 'replication and backups'), unit('new:0', 'replicaton typo, backups')];
      });
      expect((await b.stats()).generation).not.toBe(generation);
      const after = await b.search({ q: 'replication', limit: 10 });
      expect([after.total, after.hits.map((h) => h.id)]).toEqual([1, ['both:0']]);
      // Typo tolerance looks the word up in the new generation's vocabulary: "backup" is there, "lag" no longer.
      expect((await b.search({ q: 'backupz', limit: 10 })).hits.map((h) => h.id).sort()).toEqual(['both:0', 'new:0']);
      expect((await b.search({ q: 'lag', limit: 10 })).total).toBe(0);
    } finally {
      await database.cleanup();
    }
  });
});

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...page);
  return all;
}

describe('PostgreSQL search: postings and the GIN index agree', () => {
  it('pages from the postings alone exactly as the statement that scores every match, and keeps counts under concurrent writers', async () => {
    const database = await openTestDatabase('postgres', { migrate: false });
    try {
      const engine = new PostgresSearchEngine(database.db.kysely, analyzer);
      await engine.init();
      const words = ['数据', '分析', '报表', 'install', 'package', 'server', '平台', 'testing'];
      const unit = (k: number): SearchDocument => ({
        id: `d${k}:0`,
        documentId: `d${k}`,
        title: words[k % words.length] ?? '',
        body: Array.from({ length: 1 + (k % 5) }, (_, j) => words[(k * 3 + j) % words.length]).join(' ') + ` 数据分析平台 ${k}`,
        tags: ['all'],
      });
      // Concurrent writers over the same terms: no deadlock (terms locked in one order), every document frequency right.
      await Promise.all(Array.from({ length: 6 }, (_, w) => engine.upsert(Array.from({ length: 20 }, (_, k) => unit(w * 20 + k)))));
      await Promise.all([engine.remove(['d0:0', 'd1:0']), engine.upsert([unit(1), unit(200)])]);
      const db = database.db.kysely;
      const { rows: wrong } = await sql`select t.term, t.df, count(distinct d.id) as n from search_terms_1 t
        left join search_docs_1 d on t.term = any(select ltrim(x, ${'\u0001'}) from unnest(tsvector_to_array(d.tsv)) x)
        group by t.term, t.df having t.df <> count(distinct d.id)`.execute(db);
      expect(wrong).toEqual([]);
      // A filter every row passes sends a query through the general statement: the same page, scores and total.
      for (const q of ['数据 分析', 'install server testing', '报表', '数据分析平台', 'package 平台']) {
        for (const offset of [0, 10, 115]) {
          const fast = await engine.search({ q, limit: 10, offset });
          const general = await engine.search({ q, limit: 10, offset, filters: { tags: ['all'] } });
          expect(fast, `${q} @${offset}`).toEqual(general);
          expect(fast.total, q).toBeGreaterThan(0);
        }
      }
    } finally {
      await database.cleanup();
    }
  });
});
