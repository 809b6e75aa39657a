import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchDocument, SearchEngine } from '../../src/search/index.ts';

/**
 * What every SearchEngine must do, on real Chinese and English text. `open` gives a fresh, initialised
 * engine and a cleanup; the same cases run against SQLite FTS5 and PostgreSQL.
 */
export function searchEngineSuite(name: string, open: () => Promise<{ engine: SearchEngine; close: () => Promise<void> }>): void {
  const CORPUS: SearchDocument[] = [
    {
      id: 'bank:0',
      documentId: 'bank',
      title: '中国农业发展银行年度报告',
      body: '中国农业发展银行是一家政策性银行，支持农业和农村发展。',
      type: 'pdf',
      language: 'zh-Hans',
      tags: ['finance', 'report'],
      date: '2025-03-01T00:00:00.000Z',
    },
    {
      id: 'mouse:0',
      documentId: 'mouse',
      title: '滑鼠與鍵盤設定',
      body: '本文說明如何設定滑鼠的靈敏度，以及資料庫備份的步驟。',
      type: 'docx',
      language: 'zh-Hant',
      tags: ['howto'],
      date: '2024-06-15T00:00:00.000Z',
    },
    {
      id: 'redis:0',
      documentId: 'redis',
      title: 'Redis cache configuration',
      body: 'Configure the Redis cache: eviction policies, persistence and replication for running databases.',
      type: 'md',
      language: 'en',
      tags: ['howto', 'cache'],
      date: '2026-01-10T00:00:00.000Z',
    },
    {
      id: 'redis:1',
      documentId: 'redis',
      title: 'Redis cache configuration',
      body: 'Monitoring latency with the slow log; 缓存命中率 and memory fragmentation.',
      type: 'md',
      language: 'mixed',
      tags: ['howto', 'cache'],
      date: '2026-01-10T00:00:00.000Z',
    },
    {
      id: 'wechat:0',
      documentId: 'wechat',
      title: '微信支付接入指南',
      body: '商户通过微信支付的接口完成收款，数据分析平台提供对账报表。',
      type: 'html',
      language: 'zh-Hans',
      tags: ['payments'],
      date: '2025-11-20T00:00:00.000Z',
    },
    {
      id: 'bridge:0',
      documentId: 'bridge',
      title: '南京市长江大桥',
      body: '南京市长江大桥是长江上第一座由中国自行设计和建造的双层式铁路、公路两用桥梁。',
      type: 'txt',
      language: 'zh-Hans',
      tags: [],
      date: '2023-09-09T00:00:00.000Z',
    },
  ];

  describe(`search engine conformance: ${name}`, () => {
    let engine: SearchEngine;
    let close: () => Promise<void>;
    const ids = async (q: string, extra: Record<string, unknown> = {}) => (await engine.search({ q, ...extra })).hits.map((h) => h.id);

    beforeAll(async () => {
      const opened = await open();
      engine = opened.engine;
      close = opened.close;
      await engine.upsert(CORPUS);
    });
    afterAll(async () => close());

    it('finds a sub-word of a long Chinese word (农业 in 中国农业发展银行) and marks it on the original text', async () => {
      const result = await engine.search({ q: '农业' });
      expect(result.hits.map((h) => h.id)).toContain('bank:0');
      const hit = result.hits.find((h) => h.id === 'bank:0');
      expect(hit?.highlight.snippet).toContain('<mark>农业</mark>和农村');
      // Overlapping matches: the whole word is marked, not the sub-word inside it.
      expect((await engine.search({ q: '农业发展银行' })).hits[0]?.highlight.snippet).toContain('中国<mark>农业发展银行</mark>是');
    });

    it('finds traditional text from simplified queries and the reverse, highlighting the original characters', async () => {
      const hit = (await engine.search({ q: '鼠标 设置' })).hits[0];
      expect(hit?.id).toBe('mouse:0');
      // Touching matches are one mark, on the traditional characters the document has.
      expect(hit?.highlight.snippet).toContain('<mark>設定滑鼠</mark>');
      expect((await ids('數據分析'))[0]).toBe('wechat:0');
      expect(await ids('數據分析', { match: 'all' })).toEqual(['wechat:0']);
      expect(await ids('数据库')).toEqual(['mouse:0']);
    });

    it('ranks a title match first and stems English', async () => {
      expect((await ids('configurations'))[0]).toMatch(/^redis:/);
      expect(await ids('running database')).toEqual(['redis:0']);
    });

    it('finds units matching some words (ranked below those matching all), or only all words on request', async () => {
      const some = await ids('redis 银行');
      expect(some.sort()).toEqual(['bank:0', 'redis:0', 'redis:1']);
      expect(await ids('redis 银行', { match: 'all' })).toEqual([]);
      expect((await ids('redis eviction')).slice(0, 1)).toEqual(['redis:0']);
    });

    it('supports phrases, exclusions, OR and prefixes', async () => {
      expect(await ids('"长江大桥"')).toEqual(['bridge:0']);
      expect(await ids('"cache redis"')).toEqual([]);
      expect((await ids('redis -slow')).sort()).toEqual(['redis:0']);
      expect((await ids('微信 OR 滑鼠')).sort()).toEqual(['mouse:0', 'wechat:0']);
      expect(await ids('replic*')).toEqual(['redis:0']);
    });

    it('tolerates typos in Latin words only', async () => {
      expect(await ids('replicaton')).toEqual(['redis:0']);
      expect(await ids('微性')).toEqual([]);
    });

    it('filters, counts facets, sorts by date and pages', async () => {
      const result = await engine.search({ q: 'redis OR 银行 OR 微信', facets: ['type', 'language', 'tags'], sort: 'date' });
      expect(result.total).toBe(4);
      expect(
        result.hits
          .map((h) => h.id)
          .slice(0, 2)
          .sort(),
      ).toEqual(['redis:0', 'redis:1']);
      expect(result.facets.type).toEqual({ md: 2, pdf: 1, html: 1 });
      expect(result.facets.tags).toMatchObject({ howto: 2, cache: 2, finance: 1, payments: 1 });
      expect(await ids('redis OR 微信', { filters: { tags: ['howto', 'cache'], language: ['en'] } })).toEqual(['redis:0']);
      expect(await ids('redis OR 微信', { filters: { dateFrom: '2025-01-01', dateTo: '2025-12-31' } })).toEqual(['wechat:0']);
      const first = await engine.search({ q: 'redis', limit: 1 });
      const second = await engine.search({ q: 'redis', limit: 1, offset: 1 });
      expect(first.total).toBe(2);
      expect(new Set([...first.hits, ...second.hits].map((h) => h.id)).size).toBe(2);
      // The total counts every match on any page, also on a page past the last one.
      expect(second.total).toBe(2);
      const beyond = await engine.search({ q: 'redis', limit: 1, offset: 5 });
      expect(beyond.hits).toEqual([]);
      expect(beyond.total).toBe(2);
      expect((await engine.search({ q: 'nosuchwordanywhere' })).total).toBe(0);
    });

    it('suggests titles from prefixes, pinyin initials and full pinyin', async () => {
      expect((await engine.suggest('wx')).map((s) => s.documentId)).toContain('wechat');
      expect((await engine.suggest('weixin')).map((s) => s.documentId)).toContain('wechat');
      expect((await engine.suggest('南京')).map((s) => s.documentId)).toEqual(['bridge']);
      expect((await engine.suggest('red')).map((s) => s.documentId)).toEqual(['redis']);
    });

    it('follows edits and deletes', async () => {
      await engine.upsert([{ id: 'tmp:0', documentId: 'tmp', title: '临时文档', body: '量子计算的入门介绍' }]);
      expect(await ids('量子')).toEqual(['tmp:0']);
      await engine.upsert([{ id: 'tmp:0', documentId: 'tmp', title: '临时文档', body: '区块链的入门介绍' }]);
      expect(await ids('量子')).toEqual([]);
      expect(await ids('区块链')).toEqual(['tmp:0']);
      await engine.removeDocuments(['tmp']);
      expect(await ids('区块链')).toEqual([]);
    });

    it('answers hostile queries with results or a 400, never engine syntax errors', async () => {
      for (const q of [
        '"unbalanced',
        'NEAR(a b)',
        'a AND OR NOT',
        "'; drop table x; --",
        '{title}: x',
        'col:term',
        '^x',
        '\u0000\u0007数据',
        '*',
        '"" OR ""',
        '-',
        ') OR (',
        'a:b:c',
        '数据 & | ! <-> :*',
      ]) {
        await expect(
          engine.search({ q }).then(
            () => 'ok',
            (e: Error & { status?: number }) => e.status,
          ),
        ).resolves.toSatisfy((v: unknown) => v === 'ok' || v === 400);
      }
      await expect(engine.search({ q: 'x'.repeat(10_000) })).rejects.toMatchObject({ status: 400 });
      await expect(engine.search({ q: '-redis' })).rejects.toMatchObject({ status: 400 });
      await expect(engine.search({ q: 'redis', limit: 10_000 })).rejects.toMatchObject({ status: 400 });
      await expect(engine.search({ q: 'redis', filters: { dateFrom: 'yesterday' } })).rejects.toMatchObject({ status: 400 });
    });

    it('escapes HTML in snippets, so stored markup is shown inert', async () => {
      await engine.upsert([{ id: 'xss:0', documentId: 'xss', title: '<img src=x onerror=alert(1)> 安全', body: '<script>alert("安全")</script> 安全提示' }]);
      const hit = (await engine.search({ q: '安全' })).hits[0];
      expect(hit?.highlight.snippet).not.toContain('<script>');
      expect(hit?.highlight.snippet).toContain('&lt;script&gt;');
      expect(hit?.titleHighlight).toContain('&lt;img');
      await engine.remove(['xss:0']);
    });

    it('rebuilds beside the live index and swaps it in while searches keep answering', async () => {
      const before = (await engine.stats()).generation;
      let searching = true;
      const failures: unknown[] = [];
      let searches = 0;
      const loop = (async () => {
        while (searching) {
          try {
            const hits = await ids('微信');
            if (!hits.includes('wechat:0')) failures.push(`missing result: ${JSON.stringify(hits)}`);
          } catch (error) {
            failures.push(error);
          }
          searches++;
        }
      })();
      const all = [...CORPUS];
      const result = await engine.rebuild(async function* () {
        for (let k = 0; k < all.length; k += 2) yield all.slice(k, k + 2);
      });
      searching = false;
      await loop;
      expect(result.indexed).toBe(CORPUS.length);
      expect(failures).toEqual([]);
      expect(searches).toBeGreaterThan(0);
      const stats = await engine.stats();
      expect(stats.generation).not.toBe(before);
      expect(stats.documents).toBe(CORPUS.length);
    });

    it('lists its entries with content hashes for reconciliation', async () => {
      const entries = [];
      for await (const page of engine.entries()) entries.push(...page);
      expect(entries.map((e) => e.id).sort()).toEqual(CORPUS.map((d) => d.id).sort());
      expect(entries.every((e) => e.hash.length > 10)).toBe(true);
    });
  });
}
