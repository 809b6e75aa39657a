/**
 * The list endpoint of the real service on the demo data: `GET /api/v1/orders?page_size=100` over
 * 100,000 orders on SQLite, with the toolkit as applied to the resources (shared response cache +
 * compression) vs the same routes with the response cache off and identity encoding.
 *
 *   node bench/http/service.ts            (BENCH_SECONDS per run, default 10; BENCH_ORDERS, default 100000)
 *
 * Writes its part of bench/results/http.json. The load generator runs in another process; ≥ 5 rotated rounds. The demo database is kept in the OS temp dir and
 * reused.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { loadDemoData } from '../../src/db/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import { tidy } from '../lib/stats.ts';
import { drive } from './load.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const ROUNDS = Math.max(5, Number(process.env['BENCH_ROUNDS'] ?? 5));
const ORDERS = Number(process.env['BENCH_ORDERS'] ?? 100_000);
const CONNECTIONS = 10;
const PATH = '/api/v1/orders?page_size=100';
const DATA_DIR = join(tmpdir(), `ai-stack-bench-http-service-${ORDERS}`);

interface Figures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Headers + body as autocannon counted them. */
  bytesPerResponse: number;
  /** Body only, from one request with the same headers. */
  bodyBytes: number;
  non2xx: number;
  /** The server's CPU per response (the load generator runs in another process). */
  cpuUsPerRequest: number;
}

async function openService(resources: RuntimeOptions['resources'] = {}): Promise<Runtime> {
  mkdirSync(DATA_DIR, { recursive: true });
  const fresh = !existsSync(join(DATA_DIR, 'ai-stack.db'));
  // The limit is lifted: the benchmark measures serving, not refusing.
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', AI_STACK_DATA_DIR: DATA_DIR, LOG_LEVEL: 'silent', AI_STACK_RATE_LIMIT_PER_MINUTE: '10000000' });
  const runtime = await createRuntime(config, { logger: silentLogger, resources });
  const { total } = await runtime.db.kysely
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .executeTakeFirstOrThrow();
  if (Number(total) === 0) {
    const started = performance.now();
    const report = await loadDemoData(runtime.db, { orders: ORDERS });
    console.log(`demo data: ${report.totalRows} rows in ${Math.round(performance.now() - started)} ms${fresh ? '' : ' (database existed but was empty)'}`);
  }
  return runtime;
}

function bodyBytes(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: number; encoding: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, encoding: String(res.headers['content-encoding'] ?? 'identity') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function figures(baseUrl: string, headers: Record<string, string>): Promise<Figures> {
  const probe = await bodyBytes(baseUrl + PATH, headers);
  if (probe.status !== 200) throw new Error(`GET ${PATH} answered ${probe.status}`);
  return { ...(await drive(baseUrl, { duration: SECONDS, connections: CONNECTIONS, headers, paths: [PATH] })), bodyBytes: probe.bytes };
}

async function main(): Promise<void> {
  const run = await beginRun('node bench/http/service.ts', machineFacts({ packages: ['fastify', 'autocannon'] }));
  // Three compositions of the same runtime over one database: as shipped, and with the list caches off.
  const runtime = await openService();
  const plain = await openService({ responseCache: false, queryCache: false });
  const counted = await openService({ responseCache: false });
  const { key } = await runtime.keys.create({ name: `bench-${Date.now()}`, scopes: ['read'] });
  const auth = { authorization: `Bearer ${key}` };
  try {
    const toolkitUrl = await runtime.listen();
    const plainUrl = await plain.listen();
    const countedUrl = await counted.listen();
    const variants: Array<[string, string, Record<string, string>]> = [
      ['response-cache hits + br/gzip', toolkitUrl, { ...auth, 'accept-encoding': 'br, gzip' }],
      ['no response cache, identity', plainUrl, { ...auth, 'accept-encoding': 'identity' }],
      ['no response cache, br/gzip', plainUrl, { ...auth, 'accept-encoding': 'br, gzip' }],
      ['response-cache hits, identity', toolkitUrl, { ...auth, 'accept-encoding': 'identity' }],
      // The DB layer's query cache alone: every request runs the handler, but the count(*) is cached.
      ['no response cache, query-cached total, identity', countedUrl, { ...auth, 'accept-encoding': 'identity' }],
    ];
    const byName = await rotatedRounds(
      variants.map(([name, url, headers]) => ({ name, run: () => figures(url, headers) })),
      { rounds: ROUNDS },
    );
    const metrics: Array<keyof Figures> = ['rps', 'p50Ms', 'p99Ms', 'meanMs', 'cpuUsPerRequest', 'bodyBytes', 'bytesPerResponse', 'non2xx'];
    const summary = Object.fromEntries(
      metrics.map((m) => [`orders_list_${m}`, Object.fromEntries(Object.entries(mediansOf(byName, (f) => f[m])).map(([k, v]) => [k, tidy(v)]))]),
    );
    const ratios = {
      'orders_list_rps: response-cache hits + br/gzip / no response cache, identity': ratioOfRounds(
        byName,
        (f) => f.rps,
        'response-cache hits + br/gzip',
        'no response cache, identity',
      ),
      'orders_list_rps: query-cached total / no response cache, identity': ratioOfRounds(
        byName,
        (f) => f.rps,
        'no response cache, query-cached total, identity',
        'no response cache, identity',
      ),
    };
    console.table(summary);
    const path = writeResults(
      'http',
      'service',
      summary,
      run.finish({
        settings: {
          metrics: Object.keys(summary),
          orders: ORDERS,
          secondsPerRun: SECONDS,
          connections: CONNECTIONS,
          path: PATH,
          rounds: ROUNDS,
          loadGenerator: 'autocannon in a separate process',
        },
        ratios,
        rounds: byName,
      }),
    );
    console.log(`wrote ${path}`);
  } finally {
    await counted.stop();
    await plain.stop();
    await runtime.stop();
  }
}

await main();
