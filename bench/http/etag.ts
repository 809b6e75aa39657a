/**
 * `node bench/http/etag.ts` — cost of one strong ETag for a 3 KB JSON body (a 20-row list page), ours
 * (XXH64 + length, xxhash-wasm) beside the CRC-32 it replaced and Node's SHA-1/MD5, as a string and as
 * a Buffer. A few seconds of CPU on one core; prints a table with the ratio to ours.
 */
import { hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { etagForBody } from '../../src/http/toolkit/index.ts';

const rows = Array.from({ length: 20 }, (_, i) => ({
  id: i + 1, code: `C${1000 + i}`, name: `Customer number ${i} GmbH`, country: 'DE', segment: 'enterprise',
  credit_limit_cents: 1_000_000 + i, created_at: '2026-01-01T00:00:00.000Z', version: 3,
}));
const text = JSON.stringify({ data: rows, total: 1000, page: 1, page_size: 20 }).slice(0, 3072);
const bytes = Buffer.from(text);

const candidates: Record<string, (body: string | Buffer) => string> = {
  'ai-stack (XXH64 + length)': etagForBody,
  'CRC-32 (before; 32 bits, no length)': (body) => `"${crc32(body).toString(36)}"`,
  'SHA-1 (node:crypto)': (body) => `"${hash('sha1', body, 'base64url')}"`,
  'MD5 (node:crypto)': (body) => `"${hash('md5', body, 'base64url')}"`,
};

/** Best of five rounds of 100k calls, in µs per call: the least disturbed by other jobs on the machine. */
function measure(fn: (body: string | Buffer) => string, body: string | Buffer): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 5_000; i++) fn(body);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 100_000; i++) fn(body);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 100_000 / 1000);
  }
  return best;
}

const results = Object.entries(candidates).map(([name, fn]) => ({ name, string: measure(fn, text), buffer: measure(fn, bytes) }));
const ours = results[0];
console.log(`ETag of a ${bytes.length}-byte JSON body, Node ${process.version}; best of 5 × 100k calls, µs per call`);
console.log('| implementation | string µs | vs ours | Buffer µs | vs ours |');
console.log('|---|---|---|---|---|');
for (const r of results) {
  console.log(`| ${r.name} | ${r.string.toFixed(3)} | ${(r.string / (ours?.string ?? 1)).toFixed(2)}× | ${r.buffer.toFixed(3)} | ${(r.buffer / (ours?.buffer ?? 1)).toFixed(2)}× |`);
}
