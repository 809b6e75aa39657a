/**
 * npm run eval:search — the search quality tables: word-segmentation F1 on UD Chinese GSD, and known-item
 * MRR@10 / recall@10 on the Debian Reference in Chinese and English for each engine (PostgreSQL when
 * reachable at EVAL_POSTGRES_URL, default the test database) and each mode: lexical, vector (the documents
 * module's hashing embedder, exact cosine) and hybrid (the two fused by SearchService's RRF).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { machineFacts } from '../../bench/lib/machine.ts';
import { beginRun, writeResults, type Summary } from '../../bench/lib/results.ts';
import { openDatabase } from '../../src/db/index.ts';
import type { Kysely } from 'kysely';
import {
  Analyzer,
  PostgresSearchEngine,
  SearchService,
  SqliteSearchEngine,
  type SearchDocument,
  type SearchEngine,
  type SearchMode,
} from '../../src/search/index.ts';
import { DEBIAN_REFERENCE, debianReference, evaluate } from './retrieval.ts';
import { segmentationTable } from './segmentation.ts';
import { ExactVectorSource } from './vectors.ts';

const POSTGRES = process.env['EVAL_POSTGRES_URL'] ?? 'postgres://root@127.0.0.1:5432/test';
const analyzer = new Analyzer();

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the search tables are not part of the app's typed schema
type AnyDb = Kysely<any>;

async function withEngine<T>(kind: 'sqlite' | 'postgres', use: (engine: SearchEngine, db: AnyDb) => Promise<T>): Promise<T> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-eval-'));
    const db = await openDatabase({ kind: 'sqlite', file: join(dir, 'eval.db') }, { slowQueries: false });
    try {
      const engine = new SqliteSearchEngine(db.kysely, analyzer);
      await engine.init();
      return await use(engine, db.kysely);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const schema = `eval_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const db = await openDatabase(
    { kind: 'postgres', url: `${POSTGRES}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, poolSize: 2 },
    { slowQueries: false },
  );
  try {
    const engine = new PostgresSearchEngine(db.kysely, analyzer);
    await engine.init();
    return await use(engine, db.kysely);
  } finally {
    await db.close();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}

const run = await beginRun('npm run eval:search', machineFacts({ postgresUrl: POSTGRES, packages: ['@node-rs/jieba', 'opencc-js'] }));
console.log('Word segmentation, UD Chinese GSD test split (500 sentences each)');
const segmentation = segmentationTable('test');
console.table(segmentation.map((r) => ({ system: r.system, set: r.set, precision: r.precision.toFixed(3), recall: r.recall.toFixed(3), f1: r.f1.toFixed(3) })));

const MODES: readonly SearchMode[] = ['lexical', 'vector', 'hybrid'];
const retrieval: Array<{ engine: string; mode: SearchMode; language: string; mrr10: string; recall10: string; queries: number }> = [];
for (const language of ['zh-cn', 'en'] as const) {
  const { documents, items } = debianReference(language);
  if (items.length === 0) {
    console.log(`Debian Reference (${language}) is not installed under ${DEBIAN_REFERENCE}: apt-get install debian-reference-${language}`);
    continue;
  }
  const vectors = await ExactVectorSource.of(documents);
  const source = {
    load: async () => documents,
    all: async function* (): AsyncIterable<SearchDocument[]> {
      yield documents;
    },
  };
  for (const kind of ['sqlite', 'postgres'] as const) {
    const rows = await withEngine(kind, async (engine, db) => {
      for (let k = 0; k < documents.length; k += 200) await engine.upsert(documents.slice(k, k + 200));
      const service = new SearchService({ db, engine, analyzer, source, vectors });
      await service.init();
      const scores = [];
      for (const mode of MODES)
        scores.push({ mode, ...(await evaluate(async (q) => (await service.search({ q, mode, limit: 10 })).hits.map((h) => h.id), items)) });
      return scores;
    }).catch((error: Error) => MODES.map((mode) => ({ mode, mrr10: Number.NaN, recall10: Number.NaN, queries: 0, error: error.message })));
    for (const r of rows)
      retrieval.push({ engine: `ai-stack-${kind}`, mode: r.mode, language, mrr10: r.mrr10.toFixed(3), recall10: r.recall10.toFixed(3), queries: r.queries });
  }
}
console.log('\nKnown-item retrieval, Debian Reference sections (query: the heading; answer: its section, heading removed)');
console.table(retrieval);

// Scores, not timings: the same on a busy machine. Written beside the benchmarks so docs/benchmarks.md judges the goals.
const summary: Summary = {};
const put = (metric: string, key: string, value: number) => {
  if (Number.isFinite(value)) summary[metric] = { ...summary[metric], [key]: Number(value.toFixed(3)) };
};
for (const r of segmentation) put('segmentation_f1', `${r.system.startsWith('ai-stack') ? 'ai-stack' : 'jieba-cut'} (${r.set.split(' ')[0]})`, r.f1);
for (const r of retrieval) {
  const language = r.language === 'zh-cn' ? 'zh' : r.language;
  put(`mrr10_${language}`, `${r.engine}-${r.mode}`, Number(r.mrr10));
  put(`recall10_${language}`, `${r.engine}-${r.mode}`, Number(r.recall10));
}
const settings = {
  segmentation: 'UD Chinese GSD test split, 500 sentences per script, word-level F1',
  retrieval: 'Debian Reference sections (heading removed) as documents, the heading as the query, one right answer; top 10',
  queries: Object.fromEntries(retrieval.filter((r) => r.mode === 'lexical' && r.engine === 'ai-stack-sqlite').map((r) => [r.language, r.queries])),
  vectors: 'the documents module default: hashing-ngram-v1@384, exact cosine; hybrid = SearchService weighted RRF with hybridWeight()',
};
if (Object.keys(summary).length > 0) console.log(`wrote ${writeResults('search-quality', 'eval', summary, run.finish({ settings }))}`);
