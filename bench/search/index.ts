// Benchmark: search over ≥ 10,000 chunks of mixed Chinese and English text (the Debian Reference's sections
// in both languages, chunked and repeated with variation: bench/search/corpus.ts).
//  - query_p95_ms: top-10 queries (the section headings, Chinese and English) on our SQLite FTS5 and
//    PostgreSQL engines (analysis, ranking and highlighted snippets included) and on MiniSearch.
//  - index_mb_per_s: indexing a slice of the corpus from scratch, analysis/segmentation included, SQLite
//    FTS5 (on disk) against MiniSearch (in memory).
//  - mrr10_zh: known-item MRR@10 of the Chinese headings over the whole mixed corpus: ours hybrid
//    (lexical + the documents module's hashing embedder, weighted RRF as the app weighs it), ours lexical,
//    MiniSearch with bigrams.
// Needs the Debian Reference packages: bench/search/setup.sh installs them.
// Run: npm run bench:search   (writes bench/results/search.json)
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Db } from '../../src/db/index.ts';
import { Analyzer, PostgresSearchEngine, SearchService, SqliteSearchEngine, type SearchDocument, type SearchEngine } from '../../src/search/index.ts';
import { DEBIAN_REFERENCE } from '../../eval/search/retrieval.ts';
import { ExactVectorSource } from '../../eval/search/vectors.ts';
import { machineFacts, packageVersion } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import { percentile, tidy } from '../lib/stats.ts';
import { benchCorpus, mrr10, type BenchQuery } from './corpus.ts';
import { miniSearchIndex } from './minisearch.ts';

const SIZE = Number(process.env['BENCH_SEARCH_CHUNKS'] ?? 10_000);
const ROUNDS = Number(process.env['BENCH_SEARCH_ROUNDS'] ?? 5);
const QUERIES = Number(process.env['BENCH_SEARCH_QUERIES'] ?? 200);
const INDEX_CHUNKS = Number(process.env['BENCH_SEARCH_INDEX_CHUNKS'] ?? 2_000);
const POSTGRES = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://root@127.0.0.1:5432/test';

if (!existsSync(DEBIAN_REFERENCE)) {
  console.error(
    `bench:search needs the Debian Reference under ${DEBIAN_REFERENCE}: run bench/search/setup.sh (apt-get install debian-reference-zh-cn debian-reference-en)`,
  );
  process.exit(1);
}

const run = await beginRun('npm run bench:search', machineFacts({ postgresUrl: POSTGRES, packages: ['minisearch', '@node-rs/jieba', 'opencc-js'] }));
const corpus = benchCorpus(SIZE);
const mb = (chunks: readonly SearchDocument[]) => chunks.reduce((sum, c) => sum + Buffer.byteLength(c.title) + Buffer.byteLength(c.body), 0) / 1024 / 1024;
console.log(`corpus: ${corpus.chunks.length} chunks, ${(corpus.bytes / 1024 / 1024).toFixed(1)} MB, ${corpus.queries.length} queries`);
const analyzer = new Analyzer();
const dir = mkdtempSync(join(tmpdir(), 'ai-stack-bench-search-'));

async function sqliteEngine(file: string): Promise<{ db: Db; engine: SqliteSearchEngine }> {
  const db = await openDatabase({ kind: 'sqlite', file: join(dir, file) }, { slowQueries: false });
  const engine = new SqliteSearchEngine(db.kysely, analyzer);
  await engine.init();
  return { db, engine };
}

async function fill(engine: SearchEngine, chunks: readonly SearchDocument[]): Promise<void> {
  for (let k = 0; k < chunks.length; k += 500) await engine.upsert(chunks.slice(k, k + 500));
}

// The whole corpus in each engine, once (not timed): what the queries run against.
const t0 = Date.now();
const sqlite = await sqliteEngine('full.db');
await fill(sqlite.engine, corpus.chunks);
console.log(`SQLite index built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const schema = `bench_search_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: POSTGRES });
await admin.connect();
await admin.query(`create schema ${schema}`);
const pgDb = await openDatabase(
  { kind: 'postgres', url: `${POSTGRES}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, poolSize: 2 },
  { slowQueries: false },
);
const postgres = new PostgresSearchEngine(pgDb.kysely, analyzer);
await postgres.init();
const t1 = Date.now();
await fill(postgres, corpus.chunks);
console.log(`PostgreSQL index built in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
// Vacuumed and analysed after the bulk load, as PostgreSQL's manual advises (Populating a Database) and autovacuum does
// a minute or so later, and as the engine's own rebuild does: otherwise the first rounds measure the load's aftermath
// (plans made without statistics, index-only scans of the postings that visit the table for every row) and the
// figure depends on when autovacuum happens to run. Not timed, like the load itself.
for (const { name } of (await admin.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = $1`, [schema])).rows) {
  await admin.query(`vacuum (analyze) ${schema}.${name}`);
}
const mini = miniSearchIndex(corpus.chunks);

try {
  // Every k-th query of both languages: the same sample for every contender and round.
  const step = Math.max(1, Math.floor(corpus.queries.length / QUERIES));
  const sample = corpus.queries.filter((_, k) => k % step === 0).slice(0, QUERIES);
  const latency = (search: (q: string) => Promise<unknown>) => async (): Promise<{ p95: number; p50: number }> => {
    const times: number[] = [];
    for (const { q } of sample) {
      const start = performance.now();
      await search(q).catch(() => undefined);
      times.push(performance.now() - start);
    }
    return { p95: percentile(times, 0.95), p50: percentile(times, 0.5) };
  };
  const queryRounds = await rotatedRounds(
    [
      { name: 'ai-stack-sqlite', run: latency((q) => sqlite.engine.search({ q, limit: 10 })) },
      { name: 'ai-stack-postgres', run: latency((q) => postgres.search({ q, limit: 10 })) },
      { name: 'minisearch', run: latency(async (q) => mini.search(q).slice(0, 10)) },
    ],
    {
      rounds: ROUNDS,
      onRound: (r, f) =>
        console.log(
          `query round ${r}: ${Object.entries(f)
            .map(([n, v]) => `${n} p95 ${v.p95.toFixed(2)} ms`)
            .join(', ')}`,
        ),
    },
  );

  const slice = corpus.chunks.filter((_, k) => k % Math.max(1, Math.floor(corpus.chunks.length / INDEX_CHUNKS)) === 0).slice(0, INDEX_CHUNKS);
  const sliceMb = mb(slice);
  let building = 0;
  const indexRounds = await rotatedRounds(
    [
      {
        name: 'ai-stack-sqlite',
        run: async () => {
          const { db, engine } = await sqliteEngine(`slice-${building++}.db`);
          const start = performance.now();
          await fill(engine, slice);
          const seconds = (performance.now() - start) / 1000;
          await db.close();
          return { mbPerS: sliceMb / seconds };
        },
      },
      {
        name: 'minisearch',
        run: async () => {
          const start = performance.now();
          miniSearchIndex(slice);
          return { mbPerS: sliceMb / ((performance.now() - start) / 1000) };
        },
      },
    ],
    {
      rounds: ROUNDS,
      onRound: (r, f) =>
        console.log(
          `index round ${r}: ${Object.entries(f)
            .map(([n, v]) => `${n} ${v.mbPerS.toFixed(2)} MB/s`)
            .join(', ')}`,
        ),
    },
  );

  // Ranking quality is deterministic: measured once, Chinese headings over the whole mixed corpus.
  const zh: BenchQuery[] = corpus.queries.filter((q) => q.language === 'zh-cn');
  const byDocument = new Map<string, SearchDocument[]>();
  for (const chunk of corpus.chunks) byDocument.set(chunk.documentId, [...(byDocument.get(chunk.documentId) ?? []), chunk]);
  const source = {
    load: async (ids: readonly string[]) => ids.flatMap((id) => byDocument.get(id) ?? []),
    all: async function* () {
      yield corpus.chunks;
    },
  };
  const service = new SearchService({ db: sqlite.db.kysely, engine: sqlite.engine, analyzer, source, vectors: await ExactVectorSource.of(corpus.chunks) });
  await service.init();
  const ids = (hits: ReadonlyArray<{ id: string }>) => hits.map((h) => h.id);
  const quality = {
    'ai-stack-hybrid': await mrr10(zh, async (q) => ids((await service.search({ q, mode: 'hybrid', limit: 10 })).hits)),
    'ai-stack-lexical': await mrr10(zh, async (q) => ids((await service.search({ q, mode: 'lexical', limit: 10 })).hits)),
    'minisearch-bigram': await mrr10(zh, async (q) =>
      ids(
        mini
          .search(q)
          .slice(0, 10)
          .map((r) => ({ id: String(r.id) })),
      ),
    ),
  };
  console.log('MRR@10 zh', quality);

  const p95 = mediansOf(queryRounds, (f) => f.p95);
  const speed = mediansOf(indexRounds, (f) => f.mbPerS);
  const summary = {
    query_p95_ms: Object.fromEntries(Object.entries(p95).map(([k, v]) => [k, tidy(v)])),
    index_mb_per_s: Object.fromEntries(Object.entries(speed).map(([k, v]) => [k, tidy(v)])),
    mrr10_zh: Object.fromEntries(Object.entries(quality).map(([k, v]) => [k, tidy(v)])),
  };
  const record = run.finish({
    settings: {
      corpus: {
        chunks: corpus.chunks.length,
        mb: tidy(corpus.bytes / 1024 / 1024),
        source: 'Debian Reference zh-cn + en (debian-reference 2.x), sections chunked at ~400 characters, copies with rotated sentences',
        queries: corpus.queries.length,
      },
      queries: {
        perRound: sample.length,
        limit: 10,
        note: 'ours: analysis, BM25 ranking, total count and highlighted snippets; MiniSearch: ids and scores only (it has no snippets)',
      },
      index: {
        chunks: slice.length,
        mb: tidy(sliceMb),
        note: 'ours: analysis (NFKC, opencc, jieba, bigrams, pinyin, stemming) and FTS5 on disk, batches of 500 in transactions; MiniSearch: bigram tokenizer, in memory',
      },
      minisearch: {
        version: packageVersion('minisearch'),
        tokenize: 'CJK character bigrams, lower-cased Latin words (bench/search/minisearch.ts)',
        boost: { title: 8 },
        combineWith: 'OR (default)',
      },
      hybrid: {
        embedder: 'hashing-ngram-v1@384 (the documents module default), exact cosine',
        fusion: 'weighted RRF k=60, depth 20, vector weight hybridWeight(hashing) = 0 as in the app: lexical order, vectors append',
      },
      rounds: ROUNDS,
    },
    ratios: {
      'query_p95_ms: ai-stack-sqlite / minisearch': ratioOfRounds(queryRounds, (f) => f.p95, 'ai-stack-sqlite', 'minisearch'),
      'query_p95_ms: ai-stack-postgres / minisearch': ratioOfRounds(queryRounds, (f) => f.p95, 'ai-stack-postgres', 'minisearch'),
      'index_mb_per_s: ai-stack-sqlite / minisearch': ratioOfRounds(indexRounds, (f) => f.mbPerS, 'ai-stack-sqlite', 'minisearch'),
    },
    rounds: { query: queryRounds, index: indexRounds },
  });
  console.log(JSON.stringify(summary, null, 2));
  console.log(`load average before ${record.machine.loadBefore.join(' ')}, after ${record.machine.loadAfter?.join(' ')}`);
  console.log(`wrote ${writeResults('search', 'search', summary, record)}`);
} finally {
  await sqlite.db.close();
  await pgDb.close();
  await admin.query(`drop schema ${schema} cascade`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
