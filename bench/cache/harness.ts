/** Timing helpers: medians over interleaved rounds, so machine noise hits every implementation alike. */

export type Op = () => unknown;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Median ns/op for fast (in-process) operations: each sample is a batch of `perBatch` awaited calls,
 * implementations take turns batch by batch.
 */
export async function batchMedians(impls: Record<string, Op>, rounds: number, perBatch: number): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(impls)) samples[name] = [];
  for (let r = 0; r < rounds; r++) {
    for (const [name, op] of Object.entries(impls)) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < perBatch; i++) await op();
      samples[name]?.push(Number(process.hrtime.bigint() - start) / perBatch);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, median(s)]));
}

/** Median µs/op for round-trip operations: every call timed alone, implementations interleaved in chunks. */
export async function perOpMedians(impls: Record<string, Op>, total: number, chunk = 50): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(impls)) samples[name] = [];
  for (let done = 0; done < total; done += chunk) {
    for (const [name, op] of Object.entries(impls)) {
      for (let i = 0; i < chunk; i++) {
        const start = process.hrtime.bigint();
        await op();
        samples[name]?.push(Number(process.hrtime.bigint() - start) / 1000);
      }
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, median(s)]));
}

export async function warm(impls: Record<string, Op>, n: number): Promise<void> {
  for (const op of Object.values(impls)) for (let i = 0; i < n; i++) await op();
}
