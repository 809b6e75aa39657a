/**
 * The seed's performance promises, measured on the real service: each feature switched off and on under the
 * same workload, with the load generator in its own process and every server in its own process.
 *
 *   npm run bench:seed     (BENCH_SECONDS per load run, default 2; BENCH_ORDERS demo orders, default 10000;
 *                           BENCH_ROUNDS ≥ 5; BENCH_POSTGRES_URL, BENCH_REDIS_URL)
 *
 * Service: `createRuntime` (bench/seed/server.ts) on PostgreSQL in a fresh schema + Redis under a fresh
 * prefix, demo data loaded by the CLI, mail to a real SMTP server (bench/lib/smtp-sink.ts, its own process).
 * Writes bench/results/seed.json.
 */
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds, type Contender } from '../lib/rounds.ts';
import { startSmtpSink, type SmtpSink } from '../lib/smtp.ts';
import { spread, tidy, type Spread } from '../lib/stats.ts';
import { timeMail, timeReport, timeUpload } from './background.ts';
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

/** A headline figure beside the seed's claimed range [a, b] and where it lands. */
function claimed(value: number, a: number, b: number, basis: string): Record<string, number | string> {
  return { 'ai-stack': value, 'seed-claim': `${a}..${b}`, verdict: verdict(value, a, b), basis };
}

/** Per feature pair, the summary rows: name suffix, figure, and (for the headline column) how its on ÷ off ratio reads. */
const PAIR_ROWS: Array<[suffix: string, figure: keyof Figures, change?: (s: Spread) => number]> = [
  ['p50_change_pct', 'p50Ms', pct],
  ['p95_change_pct', 'p95Ms', pct],
  ['throughput_factor', 'rps', (s) => tidy(s.median)],
  ['db_ms_per_request', 'dbMsPerRequest'],
  ['bytes_per_response', 'bytesPerResponse'],
];

/**
 * Background work: a client waits for the 202 (on), or for the whole work as if it ran in the request (off).
 * Each contender returns named timings in ms; `off` and `on` name the two compared.
 */
interface BackgroundWork {
  feature: string;
  what: string;
  contenders: Array<Contender<Record<string, number>>>;
  off: string;
  on: string;
}

function backgroundWork(url: string, key: string, sink: SmtpSink): BackgroundWork[] {
  let reportCalls = 0;
  // A different end date per call keeps both sides of the report off the query caches.
  const report = (inlineFirst: boolean) => () => timeReport(url, key, daysBefore('2026-11-30', reportCalls++), inlineFirst);
  return [
    {
      feature: 'upload',
      what: `POST /api/v1/documents (${UPLOAD_BYTES} B of text): the 202 vs until the document is ready (extracted, chunked, embedded, indexed)`,
      contenders: [{ name: 'upload', run: () => timeUpload(url, key, UPLOAD_BYTES) }],
      off: 'readyMs',
      on: 'acceptedMs',
    },
    {
      feature: 'report',
      what: 'GET /api/v1/reports/erp/sales?format=xlsx over 12 months: inline vs Prefer: respond-async (202, then polled to SUCCESS)',
      contenders: [
        { name: 'inline first', run: report(true) },
        { name: 'task first', run: report(false) },
      ],
      off: 'inlineMs',
      on: 'acceptedMs',
    },
    {
      feature: 'mail',
      what: 'POST /admin/tasks/apply/emails.send_email (one recipient): the 202 vs until the SMTP server accepted the message (its own receipt time)',
      contenders: [{ name: 'mail', run: () => timeMail(url, key, sink) }],
      off: 'deliveredMs',
      on: 'acceptedMs',
    },
  ];
}

/** Rotated rounds of one background feature: every timing's spread over all its contenders' rounds. */
async function runBackground(work: BackgroundWork): Promise<{ spreads: Record<string, Spread>; rounds: Record<string, Array<Record<string, number>>> }> {
  const rounds = await rotatedRounds(work.contenders, { rounds: ROUNDS });
  const all = Object.values(rounds).flat();
  const names = Object.keys(all[0] ?? {});
  const spreads = Object.fromEntries(names.map((name) => [name, spread(all.map((t) => tidy(t[name] as number)))]));
  console.log(`${work.feature}: ${JSON.stringify(Object.fromEntries(names.map((name) => [name, spreads[name]?.median])))}`);
  return { spreads, rounds };
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
  const sink = await startSmtpSink({ receipts: true });
  const servers: Server[] = [];
  try {
    const demoStarted = performance.now();
    await loadDemo(sandbox.env(), ORDERS);
    const demoMs = Math.round(performance.now() - demoStarted);
    const start = async (name: string, resources: Record<string, false>, extra: Record<string, string> = {}): Promise<Server> => {
      // Every server gets the SMTP sink: they share the outbox table, and any server's Beat drain may send a row.
      const server = await startServer(name, sandbox.env({ AI_STACK_SMTP_URL: sink.url, ...extra }), resources);
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

    const background: Record<string, { what: string } & Record<string, Spread | string>> = {};
    const backgroundRounds: Record<string, unknown> = {};
    const answers: Record<string, Record<string, number | string>> = {};
    for (const work of backgroundWork(full.url, key, sink)) {
      const { spreads, rounds } = await runBackground(work);
      background[work.feature] = { what: work.what, ...spreads };
      backgroundRounds[work.feature] = rounds;
      // off = the caller waits for the work (inline), on = the task's 202.
      answers[`${work.feature}_answer_ms`] = { off: spreads[work.off]?.median ?? Number.NaN, on: spreads[work.on]?.median ?? Number.NaN, basis: work.what };
    }

    const byFeature = Object.fromEntries(results.map((r) => [r.feature, r]));
    const all = byFeature['all'] as PairResult;
    const pool = byFeature['pool'] as PairResult;
    const latency = pct(all.ratios.p50Ms);
    const dbTime = pct(pool.ratios.dbMsPerRequest);
    const concurrency = tidy(pool.ratios.rps.median);
    const throughput = tidy(all.ratios.rps.median);
    const summary: Record<string, Record<string, number | string>> = {
      api_latency_change_pct: claimed(latency, -30, -50, 'p50, list: caches off + identity → as shipped'),
      db_query_time_change_pct: claimed(dbTime, -40, -60, `DB time per request (statements + pool wait), ${POOL_CONNECTIONS} clients: pool 1 → default`),
      concurrency_factor: claimed(concurrency, 3, 5, `requests/s carried at ${POOL_CONNECTIONS} concurrent clients: pool default ÷ pool 1`),
      throughput_factor: claimed(throughput, 2, 3, 'requests/s, list: as shipped ÷ caches off + identity'),
    };
    for (const r of results) {
      for (const [suffix, figure, change] of PAIR_ROWS) {
        summary[`${r.feature}_${suffix}`] = {
          ...(change ? { 'ai-stack': change(r.ratios[figure]) } : {}),
          off: r.medians.off[figure],
          on: r.medians.on[figure],
        };
      }
    }
    Object.assign(summary, answers);
    summary['report_task_done_ms'] = { on: (background['report']?.['doneMs'] as Spread).median };
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
          backgroundRounds,
        },
        notes: [
          'Compression off = the client asks for identity (the server then skips the codec); on loopback it saves bytes, not time.',
          '"Inline" upload = time until the document is ready (what a client would wait if extraction, chunking and embedding ran in the request).',
          '"Inline" mail = time until the SMTP server (bench/lib/smtp-sink.ts, loopback, its own process) stamped the message as accepted: what a client would wait if the request sent it.',
          ...(non2xx > 0 ? [`${non2xx} non-2xx answers or errors during the load runs: the figures are suspect`] : []),
        ],
      }),
    );
    console.log(`wrote ${path} in ${wallSeconds} s`);
  } finally {
    for (const server of servers.reverse()) await server.stop();
    sink.stop();
    await sandbox.dispose();
  }
}

await main();
