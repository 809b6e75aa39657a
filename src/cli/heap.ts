import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags a service process (`ai-stack start`, `ai-stack worker`) is launched with. Node 24 lets the young
 * generation grow to 64 MB per semi-space on a machine with a large heap limit: 128 MB resident that start-up
 * alone fills, for a few percent of throughput. 8 MB keeps an idle `start` near 220 MB instead of 300 MB.
 * Only a launch flag can set it (V8 sizes the heap before any code runs): bin/ai-stack.js's shebang and the npm
 * scripts pass it; keep them equal to this list.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=8'] as const;

/**
 * Lets the old generation grow by half of what survived the last full collection before the next one,
 * instead of V8's default of up to four times as much under a high allocation rate: processing a large
 * document allocates hundreds of MB of short-lived strings, and with the default the heap of a 100 MB live
 * service grew to 300 MB before it was collected. Unlike the semi-space size, V8 reads this on every full
 * collection, so it can be set once the process runs.
 */
export function boundHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=50');
}
