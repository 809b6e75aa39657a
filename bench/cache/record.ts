// Writes bench/results/cache.json into docs/benchmarks.md between the `cache` markers (run under the git flock).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

const results = JSON.parse(readFileSync(new URL('../results/cache.json', import.meta.url), 'utf8')) as Record<string, Record<string, number>>;
const docUrl = new URL('../../docs/benchmarks.md', import.meta.url);
const doc = readFileSync(docUrl, 'utf8');
const note = process.argv[2] ?? '';

const unit = (m: string): string => (m.endsWith('_ns') ? 'ns' : m.endsWith('_us') ? 'µs' : '');
const lines = [
  `Run ${new Date().toISOString().slice(0, 16)}Z, ${cpus().length} vCPU ${cpus()[0]?.model ?? ''} shared with other engineers' jobs (load average 5–10), Node ${process.version}, Redis 7.0 on loopback (shared with other jobs: compare ratios, not absolutes). Medians; the ratio is the peer's median over ai-stack's (> 1 = ai-stack faster). ${note}`,
  '',
  '| measurement | implementation | median | ratio |',
  '|---|---|---|---|',
];
for (const [measurement, impls] of Object.entries(results)) {
  const ours = impls['ai-stack'];
  for (const [impl, v] of Object.entries(impls)) {
    const ratio = ours === undefined || impl === 'ai-stack' || measurement.startsWith('stampede') ? '' : `${(v / ours).toFixed(2)}×`;
    if (measurement === 'l1_hit_instructions') {
      lines.push(`| ${measurement} | ${impl} | ${v} instr | ${ratio} |`);
      continue;
    }
    lines.push(`| ${measurement} | ${impl} | ${unit(measurement) ? `${v < 100 ? v.toFixed(1) : v.toFixed(0)} ${unit(measurement)}` : String(v)} | ${ratio} |`);
  }
}
const instr = results.l1_hit_instructions;
const l1 = results.l1_hit_p50_ns ?? {};
const l2 = results.l2_get_p50_us ?? {};
lines.push('', `Goals: L1 hit ≥ 3× faster than BentoCache → **${((l1.bentocache ?? NaN) / (l1['ai-stack'] ?? NaN)).toFixed(2)}×**; L2 get ≤ 1.15× a raw ioredis GET → **${((l2['ai-stack'] ?? NaN) / (l2.ioredis ?? NaN)).toFixed(2)}×**; 1,000 concurrent misses over 4 processes with the lock → **${results.stampede_loader_calls?.['ai-stack']} loader call** (${results.stampede_loader_calls?.['ai-stack (no lock)']} without the lock).`);
if (instr !== undefined) lines.push('', `Instructions per L1 hit (callgrind, in-process tiers only, load-independent): ai-stack ${instr['ai-stack']}, BentoCache ${instr.bentocache} (${((instr.bentocache ?? NaN) / (instr['ai-stack'] ?? NaN)).toFixed(1)}×), cache-manager ${instr['cache-manager']} (${((instr['cache-manager'] ?? NaN) / (instr['ai-stack'] ?? NaN)).toFixed(1)}×), awaited lru-cache floor ${instr['lru-cache (awaited)']}.`);
lines.push('', 'Setups: ai-stack `createCache` (L1 + Redis + bus; `l1: false` for L2-only); BentoCache 1.6.1 memory L1 (`serialize: false`, its fastest; `serialize: true` also shown) + redis L2 + redis bus; cache-manager 7.2.9 with `CacheableMemory` L1 + `@keyv/redis` L2; lru-cache is an awaited `get` (the floor of any async API); tiered set for ai-stack and BentoCache includes the bus publish (cache-manager has no bus). `l1_*`/`getorset_*`: median of 1,000-call batches; `*_us`: median of single timed calls, implementations interleaved.');
const start = '<!-- cache:start -->';
const end = '<!-- cache:end -->';
const a = doc.indexOf(start);
const b = doc.indexOf(end);
if (a === -1 || b === -1) throw new Error('cache markers not found in docs/benchmarks.md');
writeFileSync(docUrl, `${doc.slice(0, a + start.length)}\n${lines.join('\n')}\n${doc.slice(b)}`);
