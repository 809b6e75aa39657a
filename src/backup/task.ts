import { Type } from 'typebox';
import { defineTask, type ScheduleSpec, type TaskDefinition } from '../tasks/index.ts';
import { createBackup, pruneBackups, type BackupSettings, type BackupSummary } from './create.ts';

export const BACKUP_DATA_TASK = 'sync.backup_data';

export interface BackupTaskResult extends BackupSummary {
  /** Backups removed by retention after this one was written. */
  deleted: string[];
}

/** `sync.backup_data`: one backup, then retention. A failure fails the task (and is retried once); the previous backups stay. */
export function createBackupTask(settings: BackupSettings): TaskDefinition<Record<string, never>, BackupTaskResult> {
  return defineTask(
    BACKUP_DATA_TASK,
    {
      queue: 'sync',
      args: Type.Object({}, { additionalProperties: false }),
      retries: { max: 1, backoff: { delayMs: 60_000 } },
      timeLimit: { soft: 6 * 3_600_000 },
    },
    async (_args, ctx): Promise<BackupTaskResult> => {
      // Retention runs after the backup is complete, so 100 % is reported only once both are done.
      const summary = await createBackup(settings, { onProgress: (fraction, step) => ctx.progress(Math.min(fraction, 0.99), step) });
      const deleted = await pruneBackups(settings);
      await ctx.progress(1, 'done');
      return { ...summary, deleted };
    },
  ) as TaskDefinition<Record<string, never>, BackupTaskResult>;
}

/** Beat's entry, from AI_STACK_BACKUP_CRON (none when it is `off`). */
export function backupSchedules(settings: Pick<BackupSettings, 'backup'>): ScheduleSpec[] {
  const cron = settings.backup.cron;
  return cron ? [{ id: `${BACKUP_DATA_TASK}.cron`, task: BACKUP_DATA_TASK, args: {}, cron, tz: 'UTC' }] : [];
}
