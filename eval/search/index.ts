/**
 * npm run eval:search — the search quality tables: word-segmentation F1 on UD Chinese GSD, and known-item
 * MRR@10 / recall@10 on the Debian Reference in Chinese and English for each engine (PostgreSQL when
 * reachable at EVAL_POSTGRES_URL, default the test database).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../src/db/index.ts';
import { Analyzer, PostgresSearchEngine, SqliteSearchEngine, type SearchEngine } from '../../src/search/index.ts';
import { DEBIAN_REFERENCE, debianReference, evaluate } from './retrieval.ts';
import { segmentationTable } from './segmentation.ts';

const POSTGRES = process.env['EVAL_POSTGRES_URL'] ?? 'postgres://root@127.0.0.1:5432/test';
const analyzer = new Analyzer();

async function withEngine<T>(kind: 'sqlite' | 'postgres', use: (engine: SearchEngine) => Promise<T>): Promise<T> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-eval-'));
    const db = await openDatabase({ kind: 'sqlite', file: join(dir, 'eval.db') }, { slowQueries: false });
    try {
      const engine = new SqliteSearchEngine(db.kysely, analyzer);
      await engine.init();
      return await use(engine);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const schema = `eval_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  const db = await openDatabase({ kind: 'postgres', url: `${POSTGRES}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, poolSize: 2 }, { slowQueries: false });
  try {
    const engine = new PostgresSearchEngine(db.kysely, analyzer);
    await engine.init();
    return await use(engine);
  } finally {
    await db.close();
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  }
}

console.log('Word segmentation, UD Chinese GSD test split (500 sentences each)');
const segmentation = segmentationTable('test');
console.table(segmentation.map((r) => ({ system: r.system, set: r.set, precision: r.precision.toFixed(3), recall: r.recall.toFixed(3), f1: r.f1.toFixed(3) })));

const retrieval: Array<{ engine: string; language: string; mrr10: string; recall10: string; queries: number }> = [];
for (const language of ['zh-cn', 'en'] as const) {
  const { documents, items } = debianReference(language);
  if (items.length === 0) {
    console.log(`Debian Reference (${language}) is not installed under ${DEBIAN_REFERENCE}: apt-get install debian-reference-${language}`);
    continue;
  }
  for (const kind of ['sqlite', 'postgres'] as const) {
    const scores = await withEngine(kind, async (engine) => {
      for (let k = 0; k < documents.length; k += 200) await engine.upsert(documents.slice(k, k + 200));
      return evaluate(engine, items);
    }).catch((error: Error) => ({ mrr10: Number.NaN, recall10: Number.NaN, queries: 0, error: error.message }));
    retrieval.push({ engine: `ai-stack-${kind} (lexical)`, language, mrr10: scores.mrr10.toFixed(3), recall10: scores.recall10.toFixed(3), queries: scores.queries });
  }
}
console.log('\nKnown-item retrieval, Debian Reference sections (query: the heading; answer: its section, heading removed)');
console.table(retrieval);
