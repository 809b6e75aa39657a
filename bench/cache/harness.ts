/** Timing helpers: implementations take turns sample by sample, and the order rotates every turn. */
import { median } from '../lib/stats.ts';

export type Op = () => unknown;

/** Object.entries of `impls`, starting at position `turn mod n`: nobody always runs first (or last). */
function rotated(impls: Record<string, Op>, turn: number): Array<[string, Op]> {
  const entries = Object.entries(impls);
  return entries.map((_, i) => entries[(turn + i) % entries.length] as [string, Op]);
}

/**
 * Median ns/op for fast (in-process) operations: each sample is a batch of `perBatch` awaited calls;
 * implementations take turns batch by batch, in rotated order.
 */
export async function batchMedians(impls: Record<string, Op>, rounds: number, perBatch: number): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(impls).map((name) => [name, [] as number[]]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, op] of rotated(impls, r)) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < perBatch; i++) await op();
      samples[name]?.push(Number(process.hrtime.bigint() - start) / perBatch);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, s]) => [name, median(s)]));
}

/** Median µs/op for round-trip operations: every call timed alone, implementations interleaved in rotated chunks. */
export async function perOpMedians(impls: Record<string, Op>, total: number, chunk = 50): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(impls).map((name) => [name, [] as number[]]));
  for (let done = 0, turn = 0; done < total; done += chunk, turn++) {
    for (const [name, op] of rotated(impls, turn)) {
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
