// node bench/cache/l2-overhead.ts [--calls N] — the L2 read path's own cost: process CPU time per awaited
// get (user + system, from process.cpuUsage) for ai-stack's L2-only cache and a raw ioredis GET of the same
// stored text (alone, as the L2 goal compares, and followed by the JSON.parse our get also does), in rotated
// rounds. CPU time per call counts what the client does; the gap between the sides is the overhead the L2 goal
// is about. Diagnostic only (nothing published): on a busy machine both columns are noisy.
// Run with --cpu-prof to see where that gap goes.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createCache } from '../../src/cache/index.ts';
import { median, spread } from '../lib/stats.ts';
import { REDIS_URL } from './peers.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg('--calls', 20_000);
const ROUNDS = Math.max(5, arg('--rounds', 5));
const run = `aitest-l2o-${randomBytes(4).toString('hex')}`;
const value = { id: 42, name: 'Ada Lovelace', email: 'ada@example.com', roles: ['admin', 'author'], active: true, score: 98.5 };

const raw = new Redis(REDIS_URL);
const cache = await createCache({ redis: { url: REDIS_URL, keyPrefix: run }, namespace: 'bench', l1: false });
await cache.set('hot', value);
const full = await cache.keyFor('hot');
// The raw side reads the same stored bytes and parses them, so both sides move and decode the same data.
const rawKey = `${run}-raw:hot`;
await raw.set(rawKey, JSON.stringify(value));

const sides: Record<string, () => Promise<unknown>> = {
  'ai-stack': () => cache.get('hot'),
  'ioredis GET': () => raw.get(rawKey),
  'ioredis GET + JSON.parse': () => raw.get(rawKey).then((t) => (t === null ? undefined : (JSON.parse(t) as unknown))),
};

async function measure(op: () => Promise<unknown>): Promise<{ cpuUs: number; wallUs: number }> {
  const cpu = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) await op();
  const wall = Number(process.hrtime.bigint() - t0) / 1000 / CALLS;
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / CALLS, wallUs: wall };
}

for (const op of Object.values(sides)) for (let i = 0; i < 2_000; i++) await op();
const names = Object.keys(sides);
const perRound: Array<Record<string, { cpuUs: number; wallUs: number }>> = [];
for (let r = 0; r < ROUNDS; r++) {
  const figures: Record<string, { cpuUs: number; wallUs: number }> = {};
  for (let i = 0; i < names.length; i++) {
    const name = names[(r + i) % names.length] as string;
    figures[name] = await measure(sides[name] as () => Promise<unknown>);
  }
  perRound.push(figures);
}
const [ours, peer] = names as [string, string, string];
const cpuRatio = spread(perRound.map((f) => (f[ours]?.cpuUs ?? NaN) / (f[peer]?.cpuUs ?? NaN)));
const wallRatio = spread(perRound.map((f) => (f[ours]?.wallUs ?? NaN) / (f[peer]?.wallUs ?? NaN)));
for (const name of names) {
  const cpu = median(perRound.map((f) => f[name]?.cpuUs ?? NaN));
  const wall = median(perRound.map((f) => f[name]?.wallUs ?? NaN));
  console.log(`${name}: CPU ${cpu.toFixed(2)} µs/get, wall ${wall.toFixed(1)} µs/get`);
}
const range = (s: { median: number; min: number; max: number }): string => `${s.median.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;
console.log(`${ours} ÷ ${peer}: CPU ratio ${range(cpuRatio)}; wall ratio ${range(wallRatio)}; ${ROUNDS} rounds × ${CALLS} calls; key ${full.length} chars`);
await raw.del(rawKey, full);
await cache.close();
raw.disconnect();
