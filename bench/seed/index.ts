/**
 * The seed's performance promises, measured on the real service: each feature switched off and on under the
 * same workload, with the load generator in its own process and every server in its own process.
 *
 *   npm run bench:seed     (BENCH_SECONDS per load run, default 2; BENCH_ORDERS demo orders, default 10000;
 *                           BENCH_ROUNDS ≥ 5; BENCH_POSTGRES_URL, BENCH_REDIS_URL)
 *
 * Service: `createRuntime` (bench/seed/server.ts) on PostgreSQL in a fresh schema + Redis under a fresh
 * prefix, demo data loaded by the CLI. Writes bench/results/seed.json.
 */
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import { spread, tidy, type Spread } from '../lib/stats.ts';
import { timeReport, timeUpload, type ReportTiming, type UploadTiming } from './background.ts';
import { adminKeyOf, dbSeconds, loadDemo, openSandbox, POSTGRES_URL, REDIS_URL, runLoad, startServer, type LoadOptions, type Server } from './service.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 2);
const ROUNDS = Math.max(5, Number(process.env['BENCH_ROUNDS'] ?? 5));
const ORDERS = Number(process.env['BENCH_ORDERS'] ?? 10_000);
const CONNECTIONS = 10;
/** More clients than the default pool has connections: where pool sizing shows. */
const POOL_CONNECTIONS = 32;
const UPLOAD_BYTES = 200_000;
const IDENTITY = { 'accept-encoding': 'identity' };
const COMPRESSED = { 'accept-encoding': 'br, gzip' };
/** 20 pages of 100 orders spread over the table: a working set a cache can hold. */
const LIST_PATHS = Array.from({ length: 20 }, (_, i) => `/api/v1/orders?page=${1 + Math.floor((i * ORDERS) / 2000)}&page_size=100`);
const DEEP_PAGE = Math.max(1, Math.floor((ORDERS * 0.8) / 100));

interface Figures {
  rps: number;
  p50Ms: number;
  p95Ms: number;
  bytesPerResponse: number;
  /** Server time in database statements + waiting for a pooled connection, per response (its own histograms). */
  dbMsPerRequest: number;
  non2xx: number;
}

async function measure(server: Server, load: LoadOptions): Promise<Figures> {
  const dbBefore = await dbSeconds(server.url);
  const r = await runLoad(server.url, load);
  const dbAfter = await dbSeconds(server.url);
  const per = (value: number): number => (r.total === 0 ? 0 : value / r.total);
  return {
    rps: Math.round(r.rps),
    p50Ms: r.p50Ms,
    p95Ms: r.p95Ms,
    bytesPerResponse: Math.round(per(r.bytes)),
    dbMsPerRequest: Number((per(dbAfter - dbBefore) * 1000).toFixed(3)),
    non2xx: r.non2xx + r.errors,
  };
}

/** One feature: the same load against the feature off and on, rotated rounds, per-round on/off ratios. */
interface Pair {
  feature: string;
  what: string;
  off: { server: Server; load: LoadOptions };
  on: { server: Server; load: LoadOptions };
}

interface PairResult {
  feature: string;
  what: string;
  medians: Record<'off' | 'on', Figures>;
  /** Per-round on ÷ off. */
  ratios: Record<keyof Figures, Spread>;
  rounds: Record<string, Figures[]>;
}

async function runPair(pair: Pair): Promise<PairResult> {
  const rounds = await rotatedRounds<Figures>(
    [
      { name: 'off', run: () => measure(pair.off.server, pair.off.load) },
      { name: 'on', run: () => measure(pair.on.server, pair.on.load) },
    ],
    { rounds: ROUNDS },
  );
  const keys: Array<keyof Figures> = ['rps', 'p50Ms', 'p95Ms', 'bytesPerResponse', 'dbMsPerRequest', 'non2xx'];
  const medians = { off: {} as Figures, on: {} as Figures };
  const ratios = {} as Record<keyof Figures, Spread>;
  for (const key of keys) {
    const m = mediansOf(rounds, (f) => f[key]);
    medians.off[key] = tidy(m['off'] as number);
    medians.on[key] = tidy(m['on'] as number);
    ratios[key] = ratioOfRounds(rounds, (f) => f[key], 'on', 'off');
  }
  console.log(`${pair.feature}: off ${JSON.stringify(medians.off)}\n${' '.repeat(pair.feature.length)}  on ${JSON.stringify(medians.on)}`);
  return { feature: pair.feature, what: pair.what, medians, ratios, rounds };
}

/** Ratio spread → percent change (median, min, max). */
const pct = (s: Spread): number => tidy((s.median - 1) * 100);

/** Where a figure lands against a claimed range [a, b] (a closer to "no effect" than b). */
function verdict(value: number, a: number, b: number): 'met' | 'exceeded' | 'missed' {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (value >= lo && value <= hi) return 'met';
  const better = Math.abs(b) > Math.abs(a) ? (b > a ? value > hi : value < lo) : false;
  return better ? 'exceeded' : 'missed';
}

async function keysetCursor(server: Server, key: string, rows: number): Promise<string> {
  let cursor: string | undefined;
  for (let done = 0; done < rows; done += 100) {
    const query = cursor === undefined ? 'limit=100' : `limit=100&cursor=${encodeURIComponent(cursor)}`;
    const page = (await (await fetch(`${server.url}/api/v1/orders?${query}`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      next_cursor: string | null;
    };
    if (!page.next_cursor) throw new Error(`no cursor after ${done} rows`);
    cursor = page.next_cursor;
  }
  return cursor as string;
}

function daysBefore(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

async function main(): Promise<void> {
  const wallStarted = performance.now();
  const run = await beginRun(
    'npm run bench:seed',
    machineFacts({ redisUrl: REDIS_URL, postgresUrl: POSTGRES_URL, packages: ['fastify', 'autocannon', 'pg', 'ioredis', 'bullmq'] }),
  );
  const sandbox = await openSandbox();
  const servers: Server[] = [];
  try {
    const demoStarted = performance.now();
    await loadDemo(sandbox.env(), ORDERS);
    const demoMs = Math.round(performance.now() - demoStarted);
    const start = async (name: string, resources: Record<string, false>, extra: Record<string, string> = {}): Promise<Server> => {
      const server = await startServer(name, sandbox.env(extra), resources);
      servers.push(server);
      return server;
    };
    // Started one after the other: each runs migrations (a no-op after the first) and its own workers.
    const full = await start('as shipped', {});
    const noResponseCache = await start('response cache off', { responseCache: false });
    const noCaches = await start('both caches off', { responseCache: false, queryCache: false });
    const pool1 = await start('both caches off, pool 1', { responseCache: false, queryCache: false }, { AI_STACK_DB_POOL_SIZE: '1' });
    const key = adminKeyOf(sandbox.env());
    const auth = { authorization: `Bearer ${key}` };
    const list = (headers: Record<string, string>, connections = CONNECTIONS): LoadOptions => ({
      duration: SECONDS,
      connections,
      headers: { ...auth, ...headers },
      paths: LIST_PATHS,
    });
    const cursor = await keysetCursor(noResponseCache, key, DEEP_PAGE * 100);
    const deep = (path: string): LoadOptions => ({ duration: SECONDS, connections: CONNECTIONS, headers: { ...auth, ...IDENTITY }, paths: [path] });

    const pairs: Pair[] = [
      {
        feature: 'all',
        what: 'GET /api/v1/orders (20 pages of 100): caches off + identity vs as shipped (response + query cache, br/gzip)',
        off: { server: noCaches, load: list(IDENTITY) },
        on: { server: full, load: list(COMPRESSED) },
      },
      {
        feature: 'response_cache',
        what: 'the same list, identity: response cache off vs on (query cache on in both)',
        off: { server: noResponseCache, load: list(IDENTITY) },
        on: { server: full, load: list(IDENTITY) },
      },
      {
        feature: 'compression',
        what: 'the same list, response cache off: identity vs br/gzip (loopback: bytes saved, CPU paid)',
        off: { server: noResponseCache, load: list(IDENTITY) },
        on: { server: noResponseCache, load: list(COMPRESSED) },
      },
      {
        feature: 'query_cache',
        what: 'the same list, response cache off, identity: query cache (list totals) off vs on',
        off: { server: noCaches, load: list(IDENTITY) },
        on: { server: noResponseCache, load: list(IDENTITY) },
      },
      {
        feature: 'pool',
        what: `the same list, both caches off, ${POOL_CONNECTIONS} clients: AI_STACK_DB_POOL_SIZE=1 vs the default (10)`,
        off: { server: pool1, load: list(IDENTITY, POOL_CONNECTIONS) },
        on: { server: noCaches, load: list(IDENTITY, POOL_CONNECTIONS) },
      },
      {
        feature: 'keyset_pagination',
        what: `deep page (row ${DEEP_PAGE * 100}) of 100 orders, response cache off: ?page=${DEEP_PAGE + 1}&page_size=100 vs ?limit=100&cursor=…`,
        off: { server: noResponseCache, load: deep(`/api/v1/orders?page=${DEEP_PAGE + 1}&page_size=100`) },
        on: { server: noResponseCache, load: deep(`/api/v1/orders?limit=100&cursor=${encodeURIComponent(cursor)}`) },
      },
    ];
    const results: PairResult[] = [];
    for (const pair of pairs) results.push(await runPair(pair));

    // Background tasks: a client waits for the 202, or (inline) for the whole work; rotated per round.
    let reportCalls = 0;
    const uploads = await rotatedRounds<UploadTiming>([{ name: 'upload', run: () => timeUpload(full.url, key, UPLOAD_BYTES) }], { rounds: ROUNDS });
    const reports = await rotatedRounds<ReportTiming>(
      [
        { name: 'inline first', run: () => timeReport(full.url, key, daysBefore('2026-11-30', reportCalls++), true) },
        { name: 'task first', run: () => timeReport(full.url, key, daysBefore('2026-11-30', reportCalls++), false) },
      ],
      { rounds: ROUNDS },
    );
    const reportRounds = [...(reports['inline first'] ?? []), ...(reports['task first'] ?? [])];
    const uploadRounds = uploads['upload'] ?? [];
    const background = {
      upload: {
        bytes: UPLOAD_BYTES,
        acceptedMs: spread(uploadRounds.map((u) => tidy(u.acceptedMs))),
        readyMs: spread(uploadRounds.map((u) => tidy(u.readyMs))),
      },
      report: {
        what: 'GET /api/v1/reports/erp/sales?format=xlsx over 12 months: inline vs Prefer: respond-async (202, then polled to SUCCESS)',
        inlineMs: spread(reportRounds.map((r) => tidy(r.inlineMs))),
        acceptedMs: spread(reportRounds.map((r) => tidy(r.acceptedMs))),
        doneMs: spread(reportRounds.map((r) => tidy(r.doneMs))),
      },
    };
    console.log(
      'background:',
      JSON.stringify({
        upload: { acceptedMs: background.upload.acceptedMs.median, readyMs: background.upload.readyMs.median },
        report: { inlineMs: background.report.inlineMs.median, acceptedMs: background.report.acceptedMs.median, doneMs: background.report.doneMs.median },
      }),
    );

    const byFeature = Object.fromEntries(results.map((r) => [r.feature, r]));
    const all = byFeature['all'] as PairResult;
    const pool = byFeature['pool'] as PairResult;
    const latency = pct(all.ratios.p50Ms);
    const dbTime = pct(pool.ratios.dbMsPerRequest);
    const concurrency = tidy(pool.ratios.rps.median);
    const throughput = tidy(all.ratios.rps.median);
    const summary: Record<string, Record<string, number | string>> = {
      api_latency_change_pct: {
        'ai-stack': latency,
        'seed-claim': '-30..-50',
        verdict: verdict(latency, -30, -50),
        basis: 'p50, list: caches off + identity → as shipped',
      },
      db_query_time_change_pct: {
        'ai-stack': dbTime,
        'seed-claim': '-40..-60',
        verdict: verdict(dbTime, -40, -60),
        basis: `DB time per request (statements + pool wait), ${POOL_CONNECTIONS} clients: pool 1 → default`,
      },
      concurrency_factor: {
        'ai-stack': concurrency,
        'seed-claim': '3..5',
        verdict: verdict(concurrency, 3, 5),
        basis: `requests/s carried at ${POOL_CONNECTIONS} concurrent clients: pool default ÷ pool 1`,
      },
      throughput_factor: {
        'ai-stack': throughput,
        'seed-claim': '2..3',
        verdict: verdict(throughput, 2, 3),
        basis: 'requests/s, list: as shipped ÷ caches off + identity',
      },
    };
    for (const r of results) {
      summary[`${r.feature}_p50_change_pct`] = { 'ai-stack': pct(r.ratios.p50Ms), off: r.medians.off.p50Ms, on: r.medians.on.p50Ms };
      summary[`${r.feature}_p95_change_pct`] = { 'ai-stack': pct(r.ratios.p95Ms), off: r.medians.off.p95Ms, on: r.medians.on.p95Ms };
      summary[`${r.feature}_throughput_factor`] = { 'ai-stack': tidy(r.ratios.rps.median), off: r.medians.off.rps, on: r.medians.on.rps };
      summary[`${r.feature}_db_ms_per_request`] = { off: r.medians.off.dbMsPerRequest, on: r.medians.on.dbMsPerRequest };
      summary[`${r.feature}_bytes_per_response`] = { off: r.medians.off.bytesPerResponse, on: r.medians.on.bytesPerResponse };
    }
    // off = the caller waits for the work (inline report; upload until ready), on = the task's 202.
    summary['upload_answer_ms'] = { off: background.upload.readyMs.median, on: background.upload.acceptedMs.median };
    summary['report_answer_ms'] = { off: background.report.inlineMs.median, on: background.report.acceptedMs.median };
    summary['report_task_done_ms'] = { on: background.report.doneMs.median };
    const non2xx = results.reduce((n, r) => n + r.rounds['off']!.concat(r.rounds['on']!).reduce((m, f) => m + f.non2xx, 0), 0);
    const wallSeconds = Math.round((performance.now() - wallStarted) / 1000);
    console.table(Object.fromEntries(Object.entries(summary).slice(0, 4)));
    const path = writeResults(
      'seed',
      'seed',
      summary,
      run.finish({
        settings: {
          service:
            'createRuntime (bench/seed/server.ts) per configuration, each in its own process with its workers; PostgreSQL (fresh schema) + Redis (own prefix per server)',
          loadGenerator: 'autocannon in its own process (bench/http/load-client.ts)',
          orders: ORDERS,
          demoLoadMs: demoMs,
          secondsPerRun: SECONDS,
          rounds: ROUNDS,
          connections: CONNECTIONS,
          poolConnections: POOL_CONNECTIONS,
          listPaths: LIST_PATHS,
          deepPage: DEEP_PAGE + 1,
          uploadBytes: UPLOAD_BYTES,
          wallSeconds,
          features: Object.fromEntries(results.map((r) => [r.feature, r.what])),
        },
        ratios: Object.fromEntries(
          results.flatMap((r) => (['rps', 'p50Ms', 'p95Ms', 'dbMsPerRequest'] as const).map((k) => [`${r.feature} ${k}: on / off`, r.ratios[k]])),
        ),
        rounds: {
          medians: Object.fromEntries(results.map((r) => [r.feature, r.medians])),
          background,
          ...Object.fromEntries(results.map((r) => [r.feature, r.rounds])),
          uploads,
          reports,
        },
        notes: [
          'Compression off = the client asks for identity (the server then skips the codec); on loopback it saves bytes, not time.',
          '"Inline" upload = time until the document is ready (what a client would wait if extraction, chunking and embedding ran in the request).',
          ...(non2xx > 0 ? [`${non2xx} non-2xx answers or errors during the load runs: the figures are suspect`] : []),
        ],
      }),
    );
    console.log(`wrote ${path} in ${wallSeconds} s`);
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await sandbox.dispose();
  }
}

await main();
