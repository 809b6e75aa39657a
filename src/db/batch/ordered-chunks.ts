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

/**
 * Writes chunks `first…count-1` on one runner, several chunks per transaction: a transaction
 * commits once it has been open `commitEveryMs` (checked after each chunk) and at the end, so a
 * batch pays one durable commit (one WAL fsync) per interval instead of one per chunk. Each chunk
 * runs under a savepoint: a failing chunk is undone alone, the chunks before it in the same
 * transaction are still committed, and the first failure is returned. Committed rows therefore
 * remain a prefix of the batch, ending just before the failed chunk, unless the engine ended the
 * whole transaction itself (SQLite does on a full disk, for one): then the group's earlier chunks
 * are lost with it, and `onCommitted` was never called for them.
 */
export async function writeChunksGrouped(
  runner: ChunkRunner,
  count: number,
  first: number,
  write: (runner: ChunkRunner, index: number) => Promise<void>,
  onCommitted: (index: number) => void,
  commitEveryMs: number,
): Promise<ChunkFailure | undefined> {
  let next = first;
  while (next < count) {
    await runner.begin();
    const opened = performance.now();
    let written: number[] = [];
    let failure: ChunkFailure | undefined;
    do {
      const index = next++;
      try {
        await runner.savepoint();
        await write(runner, index);
        await runner.releaseSavepoint();
        written.push(index);
      } catch (error) {
        failure = { index, error };
        if (!(await runner.rollbackToSavepoint())) written = [];
      }
    } while (!failure && next < count && performance.now() - opened < commitEveryMs);
    if (written.length === 0) {
      await runner.exec('rollback');
      return failure;
    }
    try {
      await runner.exec('commit');
    } catch (error) {
      await runner.exec('rollback');
      return { index: written[0]!, error };
    }
    for (const index of written) onCommitted(index);
    if (failure) return failure;
  }
  return undefined;
}
