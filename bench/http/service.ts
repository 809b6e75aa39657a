/**
 * The list endpoint of the real service on the demo data: `GET /api/v1/orders?page_size=100` over
 * 100,000 orders on SQLite, with the toolkit as applied to the resources (shared response cache +
 * compression) vs the same routes with the response cache off and identity encoding.
 *
 *   node bench/http/service.ts            (BENCH_SECONDS per run, default 10; BENCH_ORDERS, default 100000)
 *
 * Writes bench/results/http-service.json. The demo database is kept in the OS temp dir and reused.
 */
import autocannon from 'autocannon';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { loadDemoData } from '../../src/db/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
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
  /** Server + in-process load generator CPU per response: steadier than req/s on a shared machine. */
  cpuUsPerRequest: number;
}

async function openService(resources: RuntimeOptions['resources'] = {}): Promise<Runtime> {
  mkdirSync(DATA_DIR, { recursive: true });
  const fresh = !existsSync(join(DATA_DIR, 'ai-stack.db'));
  // The limit is lifted: the benchmark measures serving, not refusing.
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', AI_STACK_DATA_DIR: DATA_DIR, LOG_LEVEL: 'silent', AI_STACK_RATE_LIMIT_PER_MINUTE: '10000000' });
  const runtime = await createRuntime(config, { logger: silentLogger, resources });
  const { total } = await runtime.db.kysely.selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
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

async function drive(baseUrl: string, headers: Record<string, string>): Promise<Figures> {
  const probe = await bodyBytes(baseUrl + PATH, headers);
  if (probe.status !== 200) throw new Error(`GET ${PATH} answered ${probe.status}`);
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({ url: baseUrl + PATH, connections: CONNECTIONS, duration: SECONDS, headers });
  const cpu = process.cpuUsage(cpuBefore);
  const count = result.requests.total;
  return {
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: Math.round(result.latency.mean * 100) / 100,
    bytesPerResponse: count === 0 ? 0 : Math.round(result.throughput.total / count),
    bodyBytes: probe.bytes,
    non2xx: result.non2xx,
    cpuUsPerRequest: count === 0 ? 0 : Math.round((cpu.user + cpu.system) / count),
  };
}

async function main(): Promise<void> {
  // Three compositions of the same runtime over one database: as shipped, and with the list caches off.
  const runtime = await openService();
  const plain = await openService({ responseCache: false, queryCache: false });
  const counted = await openService({ responseCache: false });
  const { key } = await runtime.keys.create({ name: `bench-${Date.now()}`, scopes: ['read'] });
  const auth = { authorization: `Bearer ${key}` };
  const figures: Record<string, Figures> = {};
  try {
    const toolkitUrl = await runtime.listen();
    const plainUrl = await plain.listen();
    const countedUrl = await counted.listen();
    // Alternating, so a load spike on the shared machine does not land on one variant only.
    figures['toolkit: response cache + br/gzip'] = await drive(toolkitUrl, { ...auth, 'accept-encoding': 'br, gzip' });
    figures['no response cache, identity'] = await drive(plainUrl, { ...auth, 'accept-encoding': 'identity' });
    figures['no response cache, br/gzip'] = await drive(plainUrl, { ...auth, 'accept-encoding': 'br, gzip' });
    figures['toolkit: response cache, identity'] = await drive(toolkitUrl, { ...auth, 'accept-encoding': 'identity' });
    // The DB layer's query cache alone: every request runs the handler, but the count(*) is cached.
    figures['no response cache, query-cached total, identity'] = await drive(countedUrl, { ...auth, 'accept-encoding': 'identity' });
  } finally {
    await counted.stop();
    await plain.stop();
    await runtime.stop();
  }

  const base = figures['no response cache, identity'];
  console.log(`\nGET ${PATH} on ${ORDERS} demo orders (SQLite), ${CONNECTIONS} connections, ${SECONDS} s per run, Node ${process.version}\n`);
  console.log('| variant | req/s | vs no cache | p50 ms | p99 ms | mean ms | CPU µs/req | body bytes | bytes/response | non-2xx |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, f] of Object.entries(figures)) {
    console.log(`| ${name} | ${f.rps} | ${(f.rps / base.rps).toFixed(2)}× | ${f.p50Ms} | ${f.p99Ms} | ${f.meanMs} | ${f.cpuUsPerRequest} | ${f.bodyBytes} | ${f.bytesPerResponse} | ${f.non2xx} |`);
  }
  const pick = (field: keyof Figures) => Object.fromEntries(Object.entries(figures).map(([name, f]) => [name, f[field]]));
  const results = {
    run: { at: new Date().toISOString(), node: process.version, orders: ORDERS, seconds: SECONDS, connections: CONNECTIONS, path: PATH },
    orders_list_rps: pick('rps'),
    orders_list_p50_ms: pick('p50Ms'),
    orders_list_p99_ms: pick('p99Ms'),
    orders_list_mean_ms: pick('meanMs'),
    orders_list_cpu_us_per_request: pick('cpuUsPerRequest'),
    orders_list_body_bytes: pick('bodyBytes'),
    orders_list_bytes_per_response: pick('bytesPerResponse'),
    orders_list_non2xx: pick('non2xx'),
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/http-service.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log('\nwrote bench/results/http-service.json');
}

await main();
