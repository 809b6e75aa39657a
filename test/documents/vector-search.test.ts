import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeSqliteHandles } from '../../src/db/dialects/sqlite/index.ts';
import { DocumentStore } from '../../src/documents/index.ts';
import type { VectorHit } from '../../src/documents/index.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { settled, upload } from './support.ts';

const TOPICS = [
  'shipping costs',
  'quarterly revenue',
  'warehouse inventory',
  'customer refunds',
  'server outages',
  'hiring plans',
  '运输成本',
  '季度收入',
  '仓库库存',
  '客户退款',
];
const WORDS = [
  'north',
  'south',
  'region',
  'budget',
  'forecast',
  'supplier',
  'contract',
  'delay',
  'growth',
  'margin',
  '北京',
  '上海',
  '供应商',
  '合同',
  '增长',
  '利润',
];

/** A seeded pseudo-random Markdown report: a heading per section, so each section is its own chunk. */
function report(seed: number): string {
  let state = seed;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)] as T;
  const sections = Array.from({ length: 12 }, (_, s) => {
    const topic = pick(TOPICS);
    const sentences = Array.from({ length: 4 }, () => `${topic} ${Array.from({ length: 8 }, () => pick(WORDS)).join(' ')} ${Math.floor(next() * 1000)}.`);
    return `## Section ${s} on ${topic}\n\n${sentences.join(' ')}`;
  });
  return `# Report ${seed}\n\n${sections.join('\n\n')}\n`;
}

/**
 * Same scores position by position (float32 vs float64 arithmetic: 5 decimals), and the same chunks except
 * among those tied with the k-th score, where either side may pick any of the tied ones.
 */
function expectSameNeighbours(got: VectorHit[], want: VectorHit[]): void {
  expect(got.map((h) => h.score)).toEqual(want.map((h) => expect.closeTo(h.score, 5)));
  const boundary = want.at(-1)?.score ?? 0;
  const aboveTies = (hits: VectorHit[]) =>
    hits
      .filter((h) => h.score > boundary + 1e-5)
      .map((h) => h.chunk_id)
      .sort((a, b) => a - b);
  expect(aboveTies(got)).toEqual(aboveTies(want));
}

const SETUPS = [
  { dialect: 'sqlite' as const, expected: 'sqlite-vec' },
  { dialect: 'postgres' as const, expected: 'exact' },
];

describe.each(SETUPS)('documents: nearest chunks on $dialect', ({ dialect, expected }) => {
  let svc: TestService;
  let indexed: DocumentStore;
  let exact: DocumentStore;
  const ids: number[] = [];

  beforeAll(async () => {
    svc = await startTestService(dialect);
    await svc.runtime.startBackground();
    for (let seed = 1; seed <= 30; seed++) {
      const res = await upload(svc, new TextEncoder().encode(report(seed)), `report-${seed}-${randomBytes(3).toString('hex')}.md`);
      ids.push(res.body.document.id);
    }
    for (const id of ids) expect(await settled(svc, id)).toMatchObject({ status: 'ready' });
    indexed = svc.runtime.tasks.documents.store;
    exact = new DocumentStore(svc.runtime.db.kysely, { vectorIndex: 'exact' });
  }, 300_000);
  afterAll(async () => {
    await svc?.cleanup();
  });

  it(`searches with ${expected}`, async () => {
    expect(await indexed.vectorSearch()).toBe(expected);
    expect(await exact.vectorSearch()).toBe('exact');
  });

  it('finds the same k nearest chunks, in the same order and with the same scores, as the exact scan', async () => {
    const embedder = svc.runtime.tasks.documents.embedder;
    const space = `${embedder.model}@${embedder.dimension}`;
    const queries = [...TOPICS, 'supplier contract delay in the north region', '上海 供应商 合同 增长'];
    let compared = 0;
    for (const text of queries) {
      const [query] = await embedder.embed([text]);
      for (const k of [1, 5, 20]) {
        const fromIndex = await indexed.nearest(query as Float32Array, space, k);
        expect(fromIndex).toHaveLength(k);
        expectSameNeighbours(fromIndex, await exact.nearestExact(query as Float32Array, space, k));
        compared += k;
      }
    }
    expect(compared).toBe(queries.length * 26);
  });

  it('leaves out the chunks of a deleted document, and of a reprocessed one until its new vectors exist', async () => {
    const embedder = svc.runtime.tasks.documents.embedder;
    const space = `${embedder.model}@${embedder.dimension}`;
    const [query] = await embedder.embed(['Report 7 Section 3']);
    const before = await indexed.nearest(query as Float32Array, space, 50);
    const victim = (
      await svc.runtime.db.kysely
        .selectFrom('document_chunks')
        .select('document_id')
        .where('id', '=', before[0]?.chunk_id ?? 0)
        .executeTakeFirstOrThrow()
    ).document_id;
    expect((await svc.call(`/api/v1/documents/${victim}`, { method: 'DELETE' })).status).toBe(204);
    const victimChunks = new Set(
      (await svc.runtime.db.kysely.selectFrom('document_chunks').select('id').where('document_id', '=', victim).execute()).map((r) => r.id),
    );
    const after = await indexed.nearest(query as Float32Array, space, 50);
    expect(after).toHaveLength(50);
    expect(after.filter((h) => victimChunks.has(h.chunk_id))).toEqual([]);
    expectSameNeighbours(after, await exact.nearestExact(query as Float32Array, space, 50));
    const similar = await (await svc.call(`/api/v1/documents/similar?text=${encodeURIComponent('Report 7 Section 3')}&k=10`)).json();
    expect(similar.data.filter((h: { document_id: number }) => h.document_id === victim)).toEqual([]);
  });
});

describe('documents: SQLite without the sqlite-vec binary', () => {
  it('opens the database anyway and says why the extension is missing', () => {
    const handles = new NodeSqliteHandles({ file: ':memory:', extensions: ['/nonexistent/vec0.so'] });
    try {
      expect(handles.extensionErrors.get('/nonexistent/vec0.so')).toMatch(/vec0/);
      expect(handles.writer.db.prepare('select 1 + 1 as two').get()).toEqual({ two: 2 });
      expect(() => handles.writer.db.prepare('select vec_version()').get()).toThrow(/no such function/);
    } finally {
      handles.close();
    }
  });
});
