// npm run bench:cache — ai-stack's cache against BentoCache and cache-manager on the same Redis,
// with lru-cache and a raw ioredis GET as floors. Prints a table and writes bench/results/cache.json.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { createCache } from '../../src/cache/index.ts';
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { median, spread, tidy, type Spread } from '../lib/stats.ts';
import { batchMedians, perOpMedians, warm } from './harness.ts';
import { instructionsPerHit } from './instructions.ts';
import { REDIS_URL, bento, cacheManager } from './peers.ts';

const QUICK = process.argv.includes('--quick');
// Callgrind takes minutes on this box, so the load-independent instruction count is opt-in.
const INSTRUCTIONS = process.argv.includes('--instructions');
const run = `aitest-bench-${randomBytes(4).toString('hex')}`;
const value = { id: 42, name: 'Ada Lovelace', email: 'ada@example.com', roles: ['admin', 'author'], active: true, score: 98.5 };
type Results = Record<string, Record<string, number>>;
type RoundFigures = Record<string, Record<string, number>>;
const results: Results = {};
const perRound: RoundFigures[] = [];
const ratios: Record<string, Spread> = {};
const ROUNDS = Math.max(5, Number(process.env['BENCH_ROUNDS'] ?? 5));

async function main(): Promise<void> {
  const facts = beginRun(
    `npm run bench:cache${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machineFacts({ redisUrl: REDIS_URL, packages: ['bentocache', 'cache-manager', 'lru-cache', 'ioredis', 'keyv', '@keyv/redis'] }),
  );
  const openRun = await facts;
  const raw = new Redis(REDIS_URL);
  const ours = await createCache({ redis: { url: REDIS_URL, keyPrefix: `${run}-ours` }, namespace: 'bench' });
  const oursL2 = await createCache({ redis: { url: REDIS_URL, keyPrefix: `${run}-ours` }, namespace: 'bench', l1: false });
  const bentoTiered = bento(`${run}-bento`, 'tiered');
  const bentoSerialized = bento(`${run}-bento-ser`, 'tiered-serialized');
  const bentoL2 = bento(`${run}-bento`, 'l2');
  const cm = cacheManager(`${run}-cm`, 'tiered');
  const cmL2 = cacheManager(`${run}-cm`, 'l2');
  const lru = new LRUCache<string, object>({ max: 10_000 });

  await ours.set('hot', value);
  await bentoTiered.set({ key: 'hot', value });
  await bentoSerialized.set({ key: 'hot', value });
  await cm.set('hot', value);
  lru.set('hot', value);
  await raw.set(`${run}-raw:hot`, JSON.stringify(value));

  const batches = QUICK ? 12 : 60;
  const l1 = {
    'ai-stack': () => ours.get('hot'),
    bentocache: () => bentoTiered.get({ key: 'hot' }),
    'bentocache (serialize)': () => bentoSerialized.get({ key: 'hot' }),
    'cache-manager': () => cm.get('hot'),
    'lru-cache (awaited)': async () => lru.get('hot'),
  };
  const gos = {
    'ai-stack': () => ours.getOrSet('hot', () => value),
    bentocache: () => bentoTiered.getOrSet({ key: 'hot', factory: () => value }),
    'cache-manager': () => cm.wrap('hot', () => value),
  };
  const l2 = {
    'ai-stack': () => oursL2.get('hot'),
    bentocache: () => bentoL2.get({ key: 'hot' }),
    'cache-manager': () => cmL2.get('hot'),
    ioredis: () => raw.get(`${run}-raw:hot`),
  };
  let n = 0;
  const sets = {
    'ai-stack': () => ours.set(`s${n++ % 1000}`, value),
    bentocache: () => bentoTiered.set({ key: `s${n++ % 1000}`, value }),
    'cache-manager': () => cm.set(`s${n++ % 1000}`, value),
    'ioredis SET': () => raw.set(`${run}-raw:s${n++ % 1000}`, JSON.stringify(value), 'PX', 3_600_000),
  };
  await warm(l1, 20_000);
  await warm(gos, 20_000);
  await warm(l2, 500);
  await warm(sets, 300);
  // Each round measures everything once; the harness rotates the implementations' order within a round.
  for (let round = 0; round < ROUNDS; round++) {
    const figures: RoundFigures = {
      l1_hit_p50_ns: await batchMedians(l1, batches, 1000),
      getorset_hit_p50_ns: await batchMedians(gos, batches, 1000),
      l2_get_p50_us: await perOpMedians(l2, QUICK ? 200 : 1000),
      tiered_set_p50_us: await perOpMedians(sets, QUICK ? 200 : 600),
    };
    perRound.push(figures);
    console.error(
      `round ${round + 1}: L1 ai-stack ${figures.l1_hit_p50_ns?.['ai-stack']?.toFixed(0)} ns, bentocache ${figures.l1_hit_p50_ns?.bentocache?.toFixed(0)} ns; L2 ai-stack ${figures.l2_get_p50_us?.['ai-stack']?.toFixed(1)} µs, ioredis ${figures.l2_get_p50_us?.ioredis?.toFixed(1)} µs`,
    );
  }
  for (const metric of Object.keys(perRound[0] ?? {})) {
    const impls = Object.keys(perRound[0]?.[metric] ?? {});
    results[metric] = Object.fromEntries(impls.map((impl) => [impl, tidy(median(perRound.map((r) => r[metric]?.[impl] ?? Number.NaN)))]));
  }
  const perRoundRatio = (metric: string, a: string, b: string) => spread(perRound.map((r) => (r[metric]?.[a] ?? Number.NaN) / (r[metric]?.[b] ?? Number.NaN)));
  ratios['l1_hit_p50_ns: bentocache / ai-stack'] = perRoundRatio('l1_hit_p50_ns', 'bentocache', 'ai-stack');
  ratios['l1_hit_p50_ns: ai-stack / lru-cache (awaited)'] = perRoundRatio('l1_hit_p50_ns', 'ai-stack', 'lru-cache (awaited)');
  ratios['getorset_hit_p50_ns: bentocache / ai-stack'] = perRoundRatio('getorset_hit_p50_ns', 'bentocache', 'ai-stack');
  ratios['l2_get_p50_us: ai-stack / ioredis'] = perRoundRatio('l2_get_p50_us', 'ai-stack', 'ioredis');
  ratios['l2_get_p50_us: ai-stack / bentocache'] = perRoundRatio('l2_get_p50_us', 'ai-stack', 'bentocache');
  ratios['tiered_set_p50_us: ai-stack / bentocache'] = perRoundRatio('tiered_set_p50_us', 'ai-stack', 'bentocache');

  const stampedes = {
    'ai-stack': await stampede(raw, 'lock'),
    'ai-stack (no lock)': await stampede(raw, 'none'),
    bentocache: await stampede(raw, 'bentocache'),
  };
  results.stampede_loader_calls = Object.fromEntries(Object.entries(stampedes).map(([k, v]) => [k, v.loaderCalls]));
  results.stampede_overlap_ms = Object.fromEntries(Object.entries(stampedes).map(([k, v]) => [k, v.overlapMs]));

  if (INSTRUCTIONS) {
    const counted = instructionsPerHit(['ai-stack', 'bentocache', 'cache-manager', 'lru-cache (awaited)']);
    if (counted !== undefined) results.l1_hit_instructions = counted;
  }

  await Promise.all([
    ours.close(),
    oursL2.close(),
    bentoTiered.disconnect(),
    bentoSerialized.disconnect(),
    bentoL2.disconnect(),
    cm.disconnect(),
    cmL2.disconnect(),
  ]);
  await cleanup(raw);
  raw.disconnect();
  report();
  const path = writeResults(
    'cache',
    'cache',
    results,
    openRun.finish({
      settings: {
        rounds: ROUNDS,
        samples: `${batches} batches of 1,000 calls per round for L1/getOrSet; ${QUICK ? 200 : 1000} timed L2 gets and ${QUICK ? 200 : 600} sets per implementation per round; order rotated every batch`,
        'ai-stack': 'createCache: L1 + Redis L2 + bus (`l1: false` for L2-only)',
        bentocache: 'memory L1 (serialize: false, its fastest; serialize: true also shown) + redis L2 + redis bus',
        'cache-manager': 'CacheableMemory L1 + @keyv/redis L2 (no bus)',
        stampede:
          '1,000 getOrSet misses of one key over 4 processes (250 each), 200 ms loader; ai-stack with its Redis lease lock, without it, and BentoCache (memory L1 with its default serialize: true, redis L2, redis bus)',
      },
      ratios,
      rounds: perRound,
    }),
  );
  console.log(`wrote ${path}`);
}

interface StampedeReport {
  answered: number;
  firstStart: number;
  lastStart: number;
  firstEnd: number;
}

/**
 * 1,000 concurrent misses of one key over 4 processes; returns how often the loader ran and how long
 * every one of the 1,000 calls was in flight at once (the last call started before the first ended:
 * without that overlap the count would prove nothing).
 */
async function stampede(raw: Redis, mode: 'lock' | 'none' | 'bentocache'): Promise<{ loaderCalls: number; overlapMs: number }> {
  const counterKey = `${run}-stampede:${mode}`;
  const spawned = Array.from({ length: 4 }, () =>
    spawn(process.execPath, [new URL('./stampede-worker.ts', import.meta.url).pathname, REDIS_URL, `${run}-st-${mode}`, 'hot', counterKey, '250', mode], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const children = spawned.map((child) => {
    const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));
    const report = new Promise<StampedeReport>((resolve, reject) => {
      let last: StampedeReport | undefined;
      child.on('message', (m) => {
        if (typeof m === 'object') last = m as StampedeReport;
      });
      child.on('exit', (code) => (code === 0 && last ? resolve(last) : reject(new Error(`stampede worker exited ${code}`))));
    });
    return { child, ready, report };
  });
  // A barrier: every process has connected and loaded its code before any of them starts its calls.
  await Promise.all(children.map((c) => c.ready));
  for (const { child } of children) child.send('go');
  const reports = await Promise.all(children.map((c) => c.report));
  const answered = reports.reduce((a, r) => a + r.answered, 0);
  if (answered !== 1000) throw new Error(`stampede answered ${answered} of 1000`);
  const overlapMs = Math.min(...reports.map((r) => r.firstEnd)) - Math.max(...reports.map((r) => r.lastStart));
  if (overlapMs <= 0) throw new Error(`stampede calls did not overlap (${overlapMs} ms): the loader count would prove nothing`);
  return { loaderCalls: Number(await raw.get(counterKey)), overlapMs };
}

async function cleanup(raw: Redis): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', `*${run}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await raw.unlink(...keys);
  } while (cursor !== '0');
}

function report(): void {
  const rows: string[][] = [['measurement', 'implementation', 'median', 'ratio vs ai-stack']];
  for (const [measurement, impls] of Object.entries(results)) {
    const ourValue = impls['ai-stack'];
    for (const [impl, v] of Object.entries(impls)) {
      const ratio = ourValue === undefined || impl === 'ai-stack' || measurement.startsWith('stampede') ? '' : `${(v / ourValue).toFixed(2)}×`;
      rows.push([
        measurement,
        impl,
        measurement.endsWith('_ns') ? `${v.toFixed(0)} ns` : measurement.endsWith('_us') ? `${v.toFixed(1)} µs` : String(v),
        ratio,
      ]);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  const l1 = results.l1_hit_p50_ns ?? {};
  const l2 = results.l2_get_p50_us ?? {};
  console.log(
    `\ngoals: L1 hit vs BentoCache ${((l1.bentocache ?? NaN) / (l1['ai-stack'] ?? NaN)).toFixed(2)}× faster (goal ≥ 3×); ` +
      `L2 get vs raw GET ${((l2['ai-stack'] ?? NaN) / (l2.ioredis ?? NaN)).toFixed(2)}× (goal ≤ 1.15×); stampede loader calls ${results.stampede_loader_calls?.['ai-stack']} (goal 1)`,
  );
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, Node ${process.version}`,
  );
}

await main();
