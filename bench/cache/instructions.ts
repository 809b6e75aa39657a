import { spawnSync } from 'node:child_process';

/**
 * Instructions per L1 hit: the slope of callgrind `I refs` between a run of `low` and a run of `high`
 * gets (both after the same warm-up), so start-up, warm-up and most JIT/GC one-offs cancel out;
 * `--single-threaded` makes V8 compile on the main thread, so when code tiers up does not depend on
 * thread scheduling (without it repeated runs differed by thousands of instructions per hit). A
 * load-independent figure, unlike wall-clock time on a shared 2-core box. Undefined without valgrind.
 */
export function instructionsPerHit(impls: readonly string[], low = 50_000, high = 150_000): Record<string, number> | undefined {
  if (spawnSync('valgrind', ['--version']).status !== 0) return undefined;
  const worker = new URL('./instr-worker.ts', import.meta.url).pathname;
  const refs = (impl: string, count: number): number => {
    const run = spawnSync(
      'valgrind',
      ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, '--single-threaded', worker, impl, String(count)],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
    );
    const match = /I\s+refs:\s+([\d,]+)/.exec(run.stderr);
    if (match?.[1] === undefined) throw new Error(`callgrind gave no count for ${impl}: ${run.stderr.slice(-500)}`);
    return Number(match[1].replaceAll(',', ''));
  };
  const out: Record<string, number> = {};
  for (const impl of impls) out[impl] = Math.round((refs(impl, high) - refs(impl, low)) / (high - low));
  return out;
}
