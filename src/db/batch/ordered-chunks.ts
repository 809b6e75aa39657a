import type { ChunkRunner } from './runners.ts';

export interface ChunkFailure {
  index: number;
  error: unknown;
}

type Outcome = { ok: true } | { ok: false; error: unknown };

/**
 * Writes chunks `first…count-1`, each in its own transaction, with up to one chunk in flight per
 * runner (connection). Commits happen strictly in chunk order and only while nothing has failed, so
 * whatever the parallelism the committed rows are always a prefix of the batch: a failed chunk
 * and every chunk after it are rolled back. Returns the first failure, if any.
 *
 * Parallel chunks can also fail only because of each other, and the caller reruns from the failed
 * chunk on one runner to get the real verdict. The dangerous case: a later chunk inserts a key that
 * an earlier chunk then needs, so the earlier chunk waits for the later one's transaction, which in
 * turn waits (in this loop, invisible to the server's deadlock detector) for the earlier to commit.
 * With several runners every transaction therefore gets a short lock timeout that breaks such waits.
 */
const PARALLEL_LOCK_TIMEOUT_MS = 500;

export async function writeChunksInOrder(
  runners: readonly ChunkRunner[],
  count: number,
  first: number,
  write: (runner: ChunkRunner, index: number) => Promise<void>,
  onCommitted: (index: number) => void,
): Promise<ChunkFailure | undefined> {
  const free = [...runners];
  const inFlight: { index: number; runner: ChunkRunner; outcome: Promise<Outcome> }[] = [];
  let next = first;
  let failure: ChunkFailure | undefined;
  const start = async (runner: ChunkRunner, index: number): Promise<Outcome> => {
    try {
      await runner.begin(runners.length > 1 ? PARALLEL_LOCK_TIMEOUT_MS : undefined);
      await write(runner, index);
      return { ok: true };
    } catch (error) {
      return { ok: false, error };
    }
  };
  while (inFlight.length > 0 || (next < count && !failure)) {
    while (!failure && next < count && free.length > 0) {
      const runner = free.shift()!;
      inFlight.push({ index: next, runner, outcome: start(runner, next) });
      next++;
    }
    const oldest = inFlight.shift()!;
    let outcome = await oldest.outcome;
    if (outcome.ok && !failure) {
      try {
        await oldest.runner.exec('commit');
        onCommitted(oldest.index);
      } catch (error) {
        outcome = { ok: false, error };
      }
    }
    if (!outcome.ok || failure) {
      await oldest.runner.exec('rollback');
      failure ??= { index: oldest.index, error: outcome.ok ? undefined : outcome.error };
    }
    free.push(oldest.runner);
  }
  return failure;
}
