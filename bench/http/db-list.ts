import Fastify, { type FastifyInstance } from 'fastify';
import { Kysely, type Generated } from 'kysely';
import { NodeSqliteDialect, NodeSqliteHandles } from '../../src/db/index.ts';
import { apiToolkitPlugin, MemoryResponseStore, paginateSource, parseOffsetParams, setPageLinks } from '../../src/http/toolkit/index.ts';
import type { Contender } from '../lib/rounds.ts';
import { measure, type LoadFigures } from './load.ts';

interface DB {
  orders: { id: Generated<number>; customer_id: number; status: string; total: number; currency: string; created_at: string; note: string };
}

const ROWS = 100_000;

async function seed(): Promise<Kysely<DB>> {
  // The service's own node:sqlite driver, on an in-memory database.
  const handles = new NodeSqliteHandles({ file: ':memory:' });
  const db = new Kysely<DB>({ dialect: new NodeSqliteDialect(handles) });
  const raw = handles.writer.db;
  raw.exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, status TEXT NOT NULL, total REAL NOT NULL,
    currency TEXT NOT NULL, created_at TEXT NOT NULL, note TEXT NOT NULL)`);
  const insert = raw.prepare('INSERT INTO orders (customer_id, status, total, currency, created_at, note) VALUES (?, ?, ?, ?, ?, ?)');
  raw.exec('BEGIN');
  for (let i = 0; i < ROWS; i++) {
    insert.run(
      i % 5000,
      ['open', 'paid', 'shipped', 'cancelled'][i % 4] ?? 'open',
      Math.round(Math.random() * 100_000) / 100,
      'EUR',
      new Date(1_700_000_000_000 + i * 30_000).toISOString(),
      `Order ${i} for customer ${i % 5000}`,
    );
  }
  raw.exec('COMMIT');
  return db;
}

function routes(api: FastifyInstance, db: Kysely<DB>, cached: boolean): void {
  api.get('/orders', cached ? { config: { responseCache: { ttlMs: 60_000, tags: () => ['orders'] } } } : {}, async (request, reply) => {
    const { page, pageSize } = parseOffsetParams(request.query as Record<string, unknown>);
    const result = await paginateSource(db.selectFrom('orders').selectAll().orderBy('id'), { mode: 'offset', page, pageSize });
    setPageLinks(request, reply, result);
    return result;
  });
}

/** (2) The seed's claim: a DB-backed list of 100-row pages, without vs with response cache + compression. */
export async function dbListContenders(duration: number): Promise<{ contenders: Array<Contender<LoadFigures>>; close(): Promise<void> }> {
  const db = await seed();
  // 20 distinct pages spread over the table: a realistic working set that the cache can hold.
  const paths = Array.from({ length: 20 }, (_, i) => `/api/v1/orders?page=${1 + i * 40}&page_size=100`);
  const load = { duration, connections: 10, paths, headers: { 'accept-encoding': 'br, gzip' } };
  const plain = async (): Promise<LoadFigures> => {
    const app = Fastify({ logger: false });
    await app.register(async (api) => routes(api, db, false), { prefix: '/api/v1' });
    return measure(app, load);
  };
  const tuned = async (): Promise<LoadFigures> => {
    const app = Fastify({ logger: false });
    await app.register(
      async (api) => {
        await api.register(apiToolkitPlugin, { responseCache: { store: new MemoryResponseStore() } });
        routes(api, db, true);
      },
      { prefix: '/api/v1' },
    );
    return measure(app, load);
  };
  return {
    contenders: [
      { name: 'without (bare Fastify)', run: plain },
      { name: 'with cache + compression (mostly hits: 20 pages)', run: tuned },
    ],
    close: () => db.destroy(),
  };
}
