import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags a service process (`ai-stack start`, `ai-stack worker`) is launched with. Node 24 lets the young
 * generation grow to 64 MB per semi-space on a machine with a large heap limit: 128 MB resident that start-up
 * alone fills. 16 MB (V8's long-time default) keeps most of that memory back at no measured cost; 8 MB saved
 * about 60 MB more but cost up to 23 % of req/s on cached API responses (`node [flag] bench/http/service.ts`, 18:00
 * UTC 2026-12-06: 10,530 req/s default, 10,474 at 16 MB, 8,065 at 8 MB).
 * Only a launch flag can set it (V8 sizes the heap before any code runs): bin/ai-stack.js's shebang and the npm
 * scripts pass it; test/cli/node-flags.test.ts keeps them equal to this list.
 *
 * `--no-separate-gc-phases` lets a young-generation collection run while a full one is marking, as every V8
 * before Node 24's did (Node 20's V8 11.3 defaults to it). With the phases kept apart, V8 stops scavenging once
 * marking starts and lets the young generation grow past its 32 MB until marking ends: a search-indexing
 * service allocating 900 MB/s grew it by 50–65 MB before each full collection and kept the freed pages pooled
 * (resident) for reuse, and the 200 MB upload's peak was 315–343 MB. `--no-allocation-site-pretenuring`: V8
 * had started to allocate the analyzer's tokens directly in the old generation (they survive a scavenge while a
 * page of chunks is written), which filled it with garbage and forced a full collection every 220 ms. Both
 * together: 255, 255, 257 MB (7 December, `node bench/documents/peak-rss.ts 200`); their cost on the HTTP
 * benchmark is in docs/documents.md ("7 December, 09:00 UTC").
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=16', '--no-separate-gc-phases', '--no-allocation-site-pretenuring'] as const;

/**
 * Lets the old generation grow by a fifth of what survived the last full collection before the next one,
 * instead of V8's default of up to four times as much under a high allocation rate: processing a large
 * document allocates hundreds of MB of short-lived strings, and with the default the heap of a 100 MB live
 * service grew to 300 MB before it was collected. A fifth rather than a half (7 December,
 * `node bench/documents/peak-rss.ts 200`, built package): the 200 MB upload's peak 322, 322, 323 MB instead of
 * 331, 346, 353 (and 319–360 over the day), at 3–5 % of uncached req/s (`node --max-semi-space-size=16
 * --heap-growing-percent=N bench/http/service.ts`, two runs each: 1,373/1,330 vs 1,416/1,431 identity,
 * cached responses unchanged). Unlike the semi-space size, V8 reads this on every full collection, so it can be
 * set once the process runs.
 */
export function boundHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=20');
  // V8 also reads this one as it runs (measured: 273 and 255 MB set here instead of at launch), so a custom
  // launcher that leaves it out (`node dist/cli/main.js start`) still gets it; pretenuring is decided as code
  // is compiled, so that flag works only at launch.
  if (!process.execArgv.includes('--no-separate-gc-phases')) setFlagsFromString('--no-separate-gc-phases');
}
