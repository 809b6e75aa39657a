import type { TaskBackend } from '../../src/tasks/index.ts';
import { createTaskSystem, startWorkers, type StartWorkersOptions, type TaskSystem, type WorkerPool } from '../../src/tasks/index.ts';
import { allTestTasks } from '../tasks/fixtures/tasks.ts';

export interface Harness {
  backend: TaskBackend;
  system: TaskSystem;
  workers(opts?: StartWorkersOptions): Promise<WorkerPool>;
  /** Closes workers and systems, then removes every queue and store key this test created. */
  dispose(): Promise<void>;
}

export const FAST_WORKER: StartWorkersOptions = { concurrency: 4, revokePollMs: 50, heartbeatMs: 200, lockDurationMs: 5_000, stalledIntervalMs: 2_000 };

export async function harness(makeBackend: () => Promise<TaskBackend>): Promise<Harness> {
  const backend = await makeBackend();
  const system = createTaskSystem({ backend, tasks: allTestTasks });
  const pools: WorkerPool[] = [];
  return {
    backend,
    system,
    async workers(opts = {}) {
      const pool = await startWorkers(system, { ...FAST_WORKER, ...opts });
      pools.push(pool);
      return pool;
    },
    async dispose() {
      await Promise.all(pools.map((p) => p.close({ timeoutMs: 2_000 })));
      for (const name of system.queueNames)
        await system
          .queue(name)
          .obliterate({ force: true })
          .catch(() => undefined);
      for (const { key } of await backend.store.scan('')) await backend.store.delete(key);
      await system.close();
      await backend.close();
    },
  };
}

export { eventually } from '../support/wait.ts';
