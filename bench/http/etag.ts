/**
 * `node bench/http/etag.ts` — cost of one strong ETag for a 3 KB JSON body (a 20-row list page), ours
 * (XXH64 + length, xxhash-wasm) beside the CRC-32 it replaced and Node's SHA-1/MD5, as a string and as
 * a Buffer. A few seconds of CPU on one core; ≥ 5 rounds with the order rotated, medians into the `etag` part
 * of bench/results/http.json.
 */
import { hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { etagForBody } from '../../src/http/toolkit/index.ts';
import { machineFacts } from '../lib/machine.ts';
import { beginRun, writeResults } from '../lib/results.ts';
import { mediansOf, ratioOfRounds, rotatedRounds } from '../lib/rounds.ts';
import { tidy } from '../lib/stats.ts';

const rows = Array.from({ length: 20 }, (_, i) => ({
  id: i + 1,
  code: `C${1000 + i}`,
  name: `Customer number ${i} GmbH`,
  country: 'DE',
  segment: 'enterprise',
  credit_limit_cents: 1_000_000 + i,
  created_at: '2026-01-01T00:00:00.000Z',
  version: 3,
}));
const text = JSON.stringify({ data: rows, total: 1000, page: 1, page_size: 20 }).slice(0, 3072);
const bytes = Buffer.from(text);

const candidates: Record<string, (body: string | Buffer) => string> = {
  'ai-stack (XXH64 + length)': etagForBody,
  'CRC-32 (before; 32 bits, no length)': (body) => `"${crc32(body).toString(36)}"`,
  'SHA-1 (node:crypto)': (body) => `"${hash('sha1', body, 'base64url')}"`,
  'MD5 (node:crypto)': (body) => `"${hash('md5', body, 'base64url')}"`,
};

const ROUNDS = Math.max(5, Number(process.env['BENCH_ROUNDS'] ?? 5));
const CALLS = Number(process.env['BENCH_ETAG_CALLS'] ?? 100_000);

/** µs per call over CALLS calls, after a short warm-up. */
function measure(fn: (body: string | Buffer) => string, body: string | Buffer): number {
  for (let i = 0; i < 5_000; i++) fn(body);
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) fn(body);
  return Number(process.hrtime.bigint() - started) / CALLS / 1000;
}

const run = await beginRun('node bench/http/etag.ts', machineFacts({ packages: ['xxhash-wasm'] }));
type Figures = { string: number; buffer: number };
const rounds = await rotatedRounds<Figures>(
  Object.entries(candidates).map(([name, fn]) => ({ name, run: async () => ({ string: measure(fn, text), buffer: measure(fn, bytes) }) })),
  { rounds: ROUNDS },
);
const ours = Object.keys(candidates)[0] as string;
const summary = {
  etag_string_us: Object.fromEntries(Object.entries(mediansOf(rounds, (f) => f.string)).map(([k, v]) => [k, tidy(v)])),
  etag_buffer_us: Object.fromEntries(Object.entries(mediansOf(rounds, (f) => f.buffer)).map(([k, v]) => [k, tidy(v)])),
};
const ratios = Object.fromEntries(
  Object.keys(candidates)
    .filter((name) => name !== ours)
    .map((name) => [`etag_string_us: ${ours} / ${name}`, ratioOfRounds(rounds, (f) => f.string, ours, name)]),
);
console.log(`ETag of a ${bytes.length}-byte JSON body, Node ${process.version}; median of ${ROUNDS} rotated rounds × ${CALLS} calls, µs per call`);
console.table(summary);
const path = writeResults(
  'http',
  'etag',
  summary,
  run.finish({
    settings: { metrics: Object.keys(summary), implementations: Object.keys(candidates), bodyBytes: bytes.length, callsPerRound: CALLS, rounds: ROUNDS },
    ratios,
    rounds,
  }),
);
console.log(`wrote ${path}`);
