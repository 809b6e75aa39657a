import { AiStackError } from '../shared/errors.ts';

/** A backup whose files do not match its manifest: nothing of it is restored. */
export class BackupCorruptError extends AiStackError {
  constructor(backup: string, why: string) {
    super(`backup ${backup} is corrupt: ${why}; nothing was restored`, { code: 'backup_corrupt', status: 422 });
  }
}

/** `restore` into a target that already holds data, without `--force`. */
export class RestoreTargetNotEmptyError extends AiStackError {
  constructor(reasons: string[]) {
    super(`the restore target is not empty (${reasons.join('; ')}); restore into an empty data dir and database, or pass --force to replace it`, {
      code: 'restore_target_not_empty',
      status: 409,
    });
  }
}

export class BackupFailedError extends AiStackError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'backup_failed', status: 500, cause });
  }
}
