/**
 * `npm run bench:http` — the API toolkit against its peers, one bounded run (~2 minutes):
 *  1. a list endpoint with the whole toolkit vs the same handler on bare Fastify (goal: ≤ 15 % fewer req/s);
 *  2. a DB-backed list (100-row pages, SQLite, 100k rows) without vs with response cache + compression;
 *  3. rate-limit checks per second on the shared Redis, ours vs rate-limiter-flexible.
 * Prints tables with ratios, writes bench/results/http.json and bench/results/http.md (the docs snippet).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { benchDbList } from './db-list.ts';
import { benchList } from './list.ts';
import type { LoadFigures } from './load.ts';
import { benchRateLimit } from './ratelimit.ts';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 5);
const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const lines: string[] = [];
const out = (line = ''): void => {
  console.log(line);
  lines.push(line);
};
const ratio = (value: number, base: number): string => (base === 0 ? '—' : `${(value / base).toFixed(2)}×`);

function loadTable(title: string, figures: Record<string, LoadFigures>, baseline: string): void {
  const base = figures[baseline];
  out(`**${title}**`);
  out();
  out('| implementation | req/s | vs baseline | CPU µs/req | vs baseline | p50 ms | p99 ms | mean ms | bytes/response | non-2xx |');
  out('|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, f] of Object.entries(figures)) {
    out(
      `| ${name} | ${f.rps} | ${ratio(f.rps, base?.rps ?? 0)} | ${f.cpuUsPerRequest} | ${ratio(f.cpuUsPerRequest, base?.cpuUsPerRequest ?? 0)} | ${f.p50Ms} | ${f.p99Ms} | ${f.meanMs} | ${f.bytesPerResponse} | ${f.non2xx} |`,
    );
  }
  out();
}

const machine = `${cpus().length} vCPU ${cpus()[0]?.model.trim() ?? ''}, Node ${process.version}, shared with other jobs; in-process autocannon, ${seconds} s per run`;
out(`Run ${new Date().toISOString()} — ${machine}.`);
out();

const list = await benchList(seconds);
loadTable('1. List endpoint (20 rows, ~2.6 KB JSON), 20 connections; best req/s and lowest CPU of 3 alternating runs', list, 'fastify-bare');
const db = await benchDbList(seconds + 3);
loadTable('2. DB-backed list: 100-row pages of a 100k-row SQLite table (offset + count), 20 distinct pages, 10 connections, client accepts br/gzip', db, 'without (bare Fastify)');
const rl = await benchRateLimit(seconds * 500, redisUrl);
out('**3. Rate-limit checks per second (1000 keys)**');
out();
out('| setting | ai-stack | rate-limiter-flexible | ratio |');
out('|---|---|---|---|');
const row = (label: string, values: Record<string, number>): void => {
  out(`| ${label} | ${values['ai-stack'] ?? 0} | ${values['rate-limiter-flexible'] ?? 0} | ${ratio(values['ai-stack'] ?? 0, values['rate-limiter-flexible'] ?? 0)} |`);
};
row('Redis, 64 in flight (GCRA Lua vs fixed-window Lua)', rl.redis);
row('client CPU µs per check, 64 in flight (lower is better)', rl.redisCpuUs);
row('Redis, 1 in flight', rl.redisSerial);
row('in-process, 1 in flight', rl.memory);
out();

const figures: Record<string, Record<string, number>> = {
  list_rps: Object.fromEntries(Object.entries(list).map(([k, v]) => [k, v.rps])),
  list_p99_ms: Object.fromEntries(Object.entries(list).map(([k, v]) => [k, v.p99Ms])),
  list_cpu_us_per_request: Object.fromEntries(Object.entries(list).map(([k, v]) => [k, v.cpuUsPerRequest])),
  db_list_cpu_us_per_request: Object.fromEntries(Object.entries(db).map(([k, v]) => [k, v.cpuUsPerRequest])),
  db_list_rps: Object.fromEntries(Object.entries(db).map(([k, v]) => [k, v.rps])),
  db_list_p50_ms: Object.fromEntries(Object.entries(db).map(([k, v]) => [k, v.p50Ms])),
  db_list_p99_ms: Object.fromEntries(Object.entries(db).map(([k, v]) => [k, v.p99Ms])),
  db_list_bytes_per_response: Object.fromEntries(Object.entries(db).map(([k, v]) => [k, v.bytesPerResponse])),
  ratelimit_checks_per_s: rl.redis,
  ratelimit_checks_per_s_serial: rl.redisSerial,
  ratelimit_client_cpu_us_per_check: rl.redisCpuUs,
  ratelimit_memory_checks_per_s: rl.memory,
};
const dir = join(import.meta.dirname, '../results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'http.json'), JSON.stringify(figures, null, 2) + '\n');
writeFileSync(join(dir, 'http.md'), lines.join('\n') + '\n');
console.log(`\nwrote ${join(dir, 'http.json')}`);
