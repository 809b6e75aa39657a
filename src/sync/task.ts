import { Type } from 'typebox';
import { defineTask, type TaskDefinition } from '../tasks/index.ts';
import { SyncFetchError } from './read-source.ts';
import { runSync, type SyncDeps, type SyncRunResult } from './run.ts';

export const SYNC_EXTERNAL_DATA_TASK = 'sync.sync_external_data';

const SyncArgs = Type.Object({ sourceId: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

/**
 * `sync.sync_external_data`: one run of one source. A source that could not be read (5xx after the page
 * retries, a broken connection) is tried again later; a refused address or bad data is not retried.
 * One run per source at a time: a second `.delay()` while one waits or runs joins it.
 */
export function createSyncTask(deps: SyncDeps): TaskDefinition<{ sourceId: number }, SyncRunResult> {
  return defineTask(
    SYNC_EXTERNAL_DATA_TASK,
    {
      queue: 'sync',
      args: SyncArgs,
      dedupe: (args) => `source:${args.sourceId}`,
      retries: { max: 2, backoff: { delayMs: 60_000 }, autoretryFor: [SyncFetchError] },
      timeLimit: { soft: 3_600_000 },
    },
    async (args, ctx) => runSync(deps, args.sourceId, { taskId: ctx.id, signal: ctx.signal }),
  );
}
