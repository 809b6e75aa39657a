import { afterEach, describe, expect, it } from 'vitest';
import { Analyzer, SearchService, SqliteSearchEngine, type SearchDocument, type SearchSource, type VectorSource } from '../../src/search/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/db.ts';

/** A source over an in-memory list: the documents module's adapter plays this role in the service. */
class ListSource implements SearchSource {
  units: SearchDocument[];
  constructor(units: SearchDocument[]) {
    this.units = units;
  }
  async load(ids: readonly string[]): Promise<SearchDocument[]> {
    return this.units.filter((u) => ids.includes(u.documentId));
  }
  async *all(): AsyncIterable<SearchDocument[]> {
    yield this.units;
  }
}

const unit = (documentId: string, body: string, title = documentId): SearchDocument => ({ id: `${documentId}:0`, documentId, title, body });
const opened: TestDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.cleanup();
});

async function service(source: SearchSource, database?: TestDatabase, vectors?: VectorSource) {
  const db = database ?? (await openTestDatabase('sqlite', { migrate: false }));
  if (!database) opened.push(db);
  const analyzer = new Analyzer();
  const search = new SearchService({
    db: db.db.kysely,
    engine: new SqliteSearchEngine(db.db.kysely, analyzer),
    analyzer,
    source,
    ...(vectors ? { vectors } : {}),
  });
  await search.init();
  return { search, db };
}

/** A source that hands out a document's units a few at a time, as the documents adapter does for large documents. */
class PagedSource extends ListSource {
  pagesRead = 0;
  async *pages(ids: readonly string[]): AsyncIterable<SearchDocument[]> {
    const units = await this.load(ids);
    for (let i = 0; i < units.length; i += 2) {
      this.pagesRead++;
      yield units.slice(i, i + 2);
    }
  }
}

describe('SearchService', () => {
  it('indexes a paged source page by page and replaces what the documents had before', async () => {
    const many = (body: string) => Array.from({ length: 5 }, (_, i) => ({ ...unit('big', `${body} 第${i}节`), id: `big:${i}` }));
    const source = new PagedSource(many('仓库运输成本'));
    const { search } = await service(source);
    expect(await search.indexDocuments(['big'])).toBe(5);
    expect(source.pagesRead).toBe(3);
    expect((await search.search({ q: '运输成本' })).total).toBe(5);
    source.units = many('季度收入报告').slice(0, 3);
    expect(await search.indexDocuments(['big'])).toBe(3);
    expect((await search.search({ q: '运输成本' })).total).toBe(0);
    expect((await search.search({ q: '收入' })).hits.map((h) => h.id).sort()).toEqual(['big:0', 'big:1', 'big:2']);
    source.units = [];
    expect(await search.indexDocuments(['big'])).toBe(0);
    expect((await search.search({ q: '收入' })).total).toBe(0);
  });

  it('reconciles the index with its source: missing, stale and orphaned units are counted and repaired', async () => {
    const source = new ListSource([unit('a', '向量数据库入门'), unit('b', '全文检索原理'), unit('c', '缓存策略')]);
    const { search } = await service(source);
    await search.indexDocuments(['a', 'b', 'c']);
    source.units = [unit('a', '向量数据库入门'), unit('b', '倒排索引原理'), unit('d', '消息队列')];
    await search.engine.upsert([unit('x', '孤儿条目')]);
    expect(await search.reconcile()).toEqual({ checked: 3, missing: 1, stale: 1, orphaned: 2, repaired: 4 });
    expect(await search.reconcile()).toEqual({ checked: 3, missing: 0, stale: 0, orphaned: 0, repaired: 0 });
    expect((await search.search({ q: '倒排索引' })).hits.map((h) => h.id)).toEqual(['b:0']);
    expect((await search.search({ q: '缓存' })).total).toBe(0);
  });

  it('shares dictionary and synonyms through the database: another node picks them up without a restart', async () => {
    const source = new ListSource([unit('tomato', '番茄炒蛋的做法')]);
    const first = await service(source);
    const second = await service(source, first.db);
    await first.search.indexDocuments(['tomato']);
    expect((await second.search.search({ q: '西红柿' })).total).toBe(0);
    await first.search.updateSettings({ synonyms: [['西红柿', '番茄']] });
    expect((await first.search.search({ q: '西红柿' })).hits.map((h) => h.id)).toEqual(['tomato:0']);
    expect((await second.search.updateSettings({})).synonyms).toEqual([['西红柿', '番茄']]);
    expect((await second.search.search({ q: '西红柿' })).hits[0]?.highlight.snippet).toContain('<mark>番茄</mark>');
  });

  it('fuses lexical and vector rankings (RRF) and applies filters to vector neighbours too', async () => {
    const units = [
      { ...unit('a', 'Redis 缓存淘汰策略'), type: 'md' },
      { ...unit('b', '内存不足时如何释放空间'), type: 'md' },
      { ...unit('c', '内存回收的原理'), type: 'pdf' },
    ];
    const vectors = { nearest: async () => ['b:0', 'c:0', 'a:0'] };
    const { search } = await service(new ListSource(units), undefined, vectors);
    await search.indexDocuments(['a', 'b', 'c']);
    const hybrid = await search.search({ q: '缓存' });
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.hits.map((h) => h.id)).toEqual(['a:0', 'b:0', 'c:0']);
    expect((await search.search({ q: '缓存', mode: 'vector' })).hits.map((h) => h.id)).toEqual(['b:0', 'c:0', 'a:0']);
    expect((await search.search({ q: '缓存', mode: 'vector', filters: { type: ['md'] } })).hits.map((h) => h.id)).toEqual(['b:0', 'a:0']);
    expect((await search.search({ q: '缓存', mode: 'lexical' })).hits.map((h) => h.id)).toEqual(['a:0']);
  });

  it("weighs the vector ranking by the source's weight: 0 keeps the lexical order and only appends what the words missed", async () => {
    const units = [unit('a', '缓存 缓存 缓存'), unit('b', '内存不足时如何释放空间'), unit('c', '缓存之外还有很长的一段说明文字，讲内存回收的原理与实现细节')];
    const equal = await service(new ListSource(units), undefined, { nearest: async () => ['c:0', 'b:0', 'a:0'] });
    await equal.search.indexDocuments(['a', 'b', 'c']);
    expect((await equal.search.search({ q: '缓存', mode: 'lexical' })).hits.map((h) => h.id)).toEqual(['a:0', 'c:0']);
    // Plain RRF: c is first by vectors and second by words, a first by words and last by vectors.
    expect((await equal.search.search({ q: '缓存' })).hits.map((h) => h.id)).toEqual(['c:0', 'a:0', 'b:0']);
    const lexicalFirst = await service(new ListSource(units), undefined, { nearest: async () => ['c:0', 'b:0', 'a:0'], weight: 0 });
    await lexicalFirst.search.indexDocuments(['a', 'b', 'c']);
    const fused = await lexicalFirst.search.search({ q: '缓存' });
    expect(fused.mode).toBe('hybrid');
    expect(fused.hits.map((h) => h.id)).toEqual(['a:0', 'c:0', 'b:0']);
  });

  it('is lexical by default until vectors exist; vector neighbours get the words without syntax and obey exclusions', async () => {
    const units = [unit('a', 'Redis 缓存淘汰策略'), unit('b', '内存不足时如何释放空间'), unit('c', '内存回收的原理')];
    let neighbours: string[] = [];
    const asked: string[] = [];
    const vectors = { nearest: async (text: string) => (asked.push(text), neighbours) };
    const { search } = await service(new ListSource(units), undefined, vectors);
    await search.indexDocuments(['a', 'b', 'c']);
    const before = await search.search({ q: '缓存' });
    expect(before.mode).toBe('lexical');
    expect(before.hits.map((h) => h.id)).toEqual(['a:0']);
    neighbours = ['b:0', 'c:0', 'a:0'];
    const after = await search.search({ q: '缓存 OR "淘汰 策略" -回收' });
    expect(after.mode).toBe('hybrid');
    expect(asked.at(-1)).toBe('缓存 淘汰 策略');
    // c contains the excluded word: lexical hits never do, and neither may a neighbour.
    expect(after.hits.map((h) => h.id)).toEqual(['a:0', 'b:0']);
    expect(after.total).toBe(2);
    // A neighbour only the vectors found is still highlighted for the query words it contains.
    expect((await search.search({ q: '释放 空间', mode: 'vector' })).hits.find((h) => h.id === 'b:0')?.highlight.snippet).toContain(
      '如何<mark>释放空间</mark>',
    );
  });

  it('refuses vector modes without vectors, and oversize settings, with a 400', async () => {
    const { search } = await service(new ListSource([]));
    await expect(search.search({ q: 'x', mode: 'hybrid' })).rejects.toMatchObject({ status: 400 });
    await expect(search.updateSettings({ dictionary: Array.from({ length: 20_001 }, (_, k) => `词${k}`) })).rejects.toMatchObject({ status: 400 });
  });
});
