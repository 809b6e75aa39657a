// npm run bench:cache — ai-stack's cache against BentoCache and cache-manager on the same Redis,
// with lru-cache and a raw ioredis GET as floors. Prints a table and writes bench/results/cache.json.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { createCache } from '../../src/cache/index.ts';
import { batchMedians, perOpMedians, warm } from './harness.ts';
import { instructionsPerHit } from './instructions.ts';
import { REDIS_URL, bento, cacheManager } from './peers.ts';

const QUICK = process.argv.includes('--quick');
// Callgrind takes minutes on this box, so the load-independent instruction count is opt-in.
const INSTRUCTIONS = process.argv.includes('--instructions');
const run = `aitest-bench-${randomBytes(4).toString('hex')}`;
const value = { id: 42, name: 'Ada Lovelace', email: 'ada@example.com', roles: ['admin', 'author'], active: true, score: 98.5 };
type Results = Record<string, Record<string, number>>;
const results: Results = {};

async function main(): Promise<void> {
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

  const rounds = QUICK ? 60 : 300;
  const l1 = {
    'ai-stack': () => ours.get('hot'),
    bentocache: () => bentoTiered.get({ key: 'hot' }),
    'bentocache (serialize)': () => bentoSerialized.get({ key: 'hot' }),
    'cache-manager': () => cm.get('hot'),
    'lru-cache (awaited)': async () => lru.get('hot'),
  };
  await warm(l1, 20_000);
  results.l1_hit_p50_ns = await batchMedians(l1, rounds, 1000);

  const gos = {
    'ai-stack': () => ours.getOrSet('hot', () => value),
    bentocache: () => bentoTiered.getOrSet({ key: 'hot', factory: () => value }),
    'cache-manager': () => cm.wrap('hot', () => value),
  };
  await warm(gos, 20_000);
  results.getorset_hit_p50_ns = await batchMedians(gos, rounds, 1000);

  const l2 = {
    'ai-stack': () => oursL2.get('hot'),
    bentocache: () => bentoL2.get({ key: 'hot' }),
    'cache-manager': () => cmL2.get('hot'),
    ioredis: () => raw.get(`${run}-raw:hot`),
  };
  await warm(l2, 500);
  results.l2_get_p50_us = await perOpMedians(l2, QUICK ? 500 : 3000);

  let n = 0;
  const sets = {
    'ai-stack': () => ours.set(`s${n++ % 1000}`, value),
    bentocache: () => bentoTiered.set({ key: `s${n++ % 1000}`, value }),
    'cache-manager': () => cm.set(`s${n++ % 1000}`, value),
    'ioredis SET': () => raw.set(`${run}-raw:s${n++ % 1000}`, JSON.stringify(value), 'PX', 3_600_000),
  };
  await warm(sets, 300);
  results.tiered_set_p50_us = await perOpMedians(sets, QUICK ? 500 : 2000);
  results.raw_get_p50_us = { ioredis: results.l2_get_p50_us.ioredis ?? NaN };

  results.stampede_loader_calls = {
    'ai-stack': await stampede(raw, true),
    'ai-stack (no lock)': await stampede(raw, false),
  };

  if (INSTRUCTIONS) {
    const counted = instructionsPerHit(['ai-stack', 'bentocache', 'cache-manager', 'lru-cache (awaited)']);
    if (counted !== undefined) results.l1_hit_instructions = counted;
  }

  await Promise.all([ours.close(), oursL2.close(), bentoTiered.disconnect(), bentoSerialized.disconnect(), bentoL2.disconnect(), cm.disconnect(), cmL2.disconnect()]);
  await cleanup(raw);
  raw.disconnect();
  report();
}

/** 1,000 concurrent misses of one key over 4 processes; returns how often the loader ran. */
async function stampede(raw: Redis, lock: boolean): Promise<number> {
  const counterKey = `${run}-stampede:${lock ? 'lock' : 'nolock'}`;
  const at = Date.now() + 1500;
  const children = Array.from({ length: 4 }, () => new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [new URL('./stampede-worker.ts', import.meta.url).pathname, REDIS_URL, `${run}-st-${lock ? 'l' : 'n'}`, 'hot', counterKey, '250', String(at), lock ? 'lock' : 'none'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.on('exit', (code) => (code === 0 ? resolve((JSON.parse(out) as { answered: number }).answered) : reject(new Error(`stampede worker exited ${code}`))));
  }));
  const answered = (await Promise.all(children)).reduce((a, b) => a + b, 0);
  if (answered !== 1000) throw new Error(`stampede answered ${answered} of 1000`);
  return Number(await raw.get(counterKey));
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
      const ratio = ourValue === undefined || impl === 'ai-stack' || measurement === 'stampede_loader_calls' ? '' : `${(v / ourValue).toFixed(2)}×`;
      rows.push([measurement, impl, measurement.endsWith('_ns') ? `${v.toFixed(0)} ns` : measurement.endsWith('_us') ? `${v.toFixed(1)} µs` : String(v), ratio]);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  const l1 = results.l1_hit_p50_ns ?? {};
  const l2 = results.l2_get_p50_us ?? {};
  console.log(`\ngoals: L1 hit vs BentoCache ${((l1.bentocache ?? NaN) / (l1['ai-stack'] ?? NaN)).toFixed(2)}× faster (goal ≥ 3×); `
    + `L2 get vs raw GET ${((l2['ai-stack'] ?? NaN) / (l2.ioredis ?? NaN)).toFixed(2)}× (goal ≤ 1.15×); stampede loader calls ${results.stampede_loader_calls?.['ai-stack']} (goal 1)`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}, Node ${process.version}`);
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../results/cache.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
}

await main();
