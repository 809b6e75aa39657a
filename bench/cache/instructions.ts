import { spawnSync } from 'node:child_process';

/**
 * Instructions per L1 hit (callgrind `I refs` of warm-up + N gets, minus warm-up only, over N): a
 * load-independent figure, unlike wall-clock time on a shared 2-core box. Returns undefined without valgrind.
 */
export function instructionsPerHit(impls: readonly string[], n = 100_000): Record<string, number> | undefined {
  if (spawnSync('valgrind', ['--version']).status !== 0) return undefined;
  const worker = new URL('./instr-worker.ts', import.meta.url).pathname;
  const refs = (impl: string, count: number): number => {
    const run = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, worker, impl, String(count)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    const match = /I\s+refs:\s+([\d,]+)/.exec(run.stderr);
    if (match?.[1] === undefined) throw new Error(`callgrind gave no count for ${impl}: ${run.stderr.slice(-500)}`);
    return Number(match[1].replaceAll(',', ''));
  };
  const out: Record<string, number> = {};
  for (const impl of impls) out[impl] = Math.round((refs(impl, n) - refs(impl, 0)) / n);
  return out;
}
