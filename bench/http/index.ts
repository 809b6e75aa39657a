/**
 * `npm run bench:http` — the API toolkit against its peers. The server runs in this process, the load
 * generator (autocannon) in another, so CPU per request is the server's alone. Each part runs ≥ 5 rounds
 * with the variants' order rotated; medians and per-round ratio spreads go to bench/results/http.json.
 *  1. a list endpoint with the whole toolkit vs the same handler on bare Fastify (goal: ≤ 15 % fewer req/s);
 *  2. a DB-backed list (100-row pages, SQLite, 100k rows) without vs with response cache + compression;
 *  3. rate-limit checks per second on Redis, ours vs rate-limiter-flexible.
 */
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults, type Summary } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import { tidy, type Spread } from '../lib/stats.ts';
import { dbListContenders } from './db-list.ts';
import { listContenders } from './list.ts';
import type { LoadFigures } from './load.ts';
import { benchRateLimit } from './ratelimit.ts';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 5);
const rounds = Math.max(5, Number(process.env['BENCH_ROUNDS'] ?? 5));
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const command = 'node bench/http/index.ts';
const facts = () => machineFacts({ redisUrl, packages: ['fastify', 'autocannon', 'rate-limiter-flexible', '@fastify/compress'] });

function summarize<F extends object>(prefix: string, byName: Record<string, F[]>, metrics: Array<keyof F & string>): Summary {
  return Object.fromEntries(
    metrics.map((m) => [`${prefix}${m}`, Object.fromEntries(Object.entries(mediansOf(byName, (f) => f[m] as number)).map(([k, v]) => [k, tidy(v)]))]),
  );
}

const loadMetrics: Array<keyof LoadFigures> = ['rps', 'cpuUsPerRequest', 'p50Ms', 'p99Ms', 'bytesPerResponse', 'non2xx'];

{
  const run = await beginRun(command, facts());
  const byName = await rotatedRounds(listContenders(seconds), {
    rounds,
    onRound: (r, f) =>
      console.error(
        `list round ${r + 1}: ${Object.entries(f)
          .map(([n, v]) => `${n} ${v.rps}/s`)
          .join(', ')}`,
      ),
  });
  const ratios: Record<string, Spread> = {
    'req_per_s: ai-stack / fastify-bare': ratioOfRounds(byName, (f) => f.rps, 'ai-stack', 'fastify-bare'),
    'cpu_us_per_request: ai-stack / fastify-bare': ratioOfRounds(byName, (f) => f.cpuUsPerRequest, 'ai-stack', 'fastify-bare'),
    'req_per_s: ai-stack, response-cache hits (br) / fastify-bare': ratioOfRounds(byName, (f) => f.rps, 'ai-stack, response-cache hits (br)', 'fastify-bare'),
  };
  const summary = summarize('list_', byName, loadMetrics);
  writeResults(
    'http',
    'list',
    summary,
    run.finish({
      settings: {
        metrics: Object.keys(summary),
        secondsPerRun: seconds,
        connections: 20,
        rounds,
        body: '20 rows, ~2.6 KB JSON',
        loadGenerator: 'autocannon in a separate process',
      },
      ratios,
      rounds: byName,
    }),
  );
  console.table(summary);
}
{
  const run = await beginRun(command, facts());
  const dbList = await dbListContenders(seconds + 3);
  const { contenders } = dbList;
  try {
    const byName = await rotatedRounds(contenders, { rounds });
    const ratios = {
      'db_list_req_per_s: cache + compression / bare': ratioOfRounds(
        byName,
        (f) => f.rps,
        'with cache + compression (mostly hits: 20 pages)',
        'without (bare Fastify)',
      ),
    };
    const summary = summarize('db_list_', byName, loadMetrics);
    writeResults(
      'http',
      'db-list',
      summary,
      run.finish({
        settings: {
          metrics: Object.keys(summary),
          secondsPerRun: seconds + 3,
          connections: 10,
          rounds,
          workload: '100-row pages of a 100k-row SQLite table (offset + count), 20 distinct pages, client accepts br/gzip',
        },
        ratios,
        rounds: byName,
      }),
    );
    console.table(summary);
  } finally {
    await dbList.close();
  }
}
{
  const run = await beginRun(command, facts());
  const byName = await benchRateLimit(seconds * 500, redisUrl, rounds);
  const ratios = {
    'ratelimit_checks_per_s: ai-stack / rate-limiter-flexible': ratioOfRounds(byName, (f) => f.checks_per_s, 'ai-stack', 'rate-limiter-flexible'),
    'ratelimit_client_cpu_us_per_check: ai-stack / rate-limiter-flexible': ratioOfRounds(
      byName,
      (f) => f.client_cpu_us_per_check,
      'ai-stack',
      'rate-limiter-flexible',
    ),
  };
  const summary = summarize('ratelimit_', byName, ['checks_per_s', 'client_cpu_us_per_check', 'checks_per_s_serial', 'memory_checks_per_s']);
  writeResults(
    'http',
    'ratelimit',
    summary,
    run.finish({
      settings: {
        metrics: Object.keys(summary),
        rounds,
        algorithms: 'ai-stack: GCRA in one Lua script; rate-limiter-flexible: RateLimiterRedis (fixed window, Lua)',
        inFlight: '64 and 1',
      },
      ratios,
      rounds: byName,
    }),
  );
  console.table(summary);
}
process.exit(0);
