// ai-stack/backup: consistent online backups of the database, the embedded task queue and the blob store; restore; retention.
export { createBackup, listBackups, pruneBackups, type BackupProgress, type BackupSettings, type BackupSummary } from './create.ts';
export { restoreBackup, type RestoreOptions, type RestoreSummary } from './restore.ts';
export { verifyBackup, type BackupManifest } from './manifest.ts';
export { backupsToDelete, isoWeek, type DatedBackup } from './retention.ts';
export { createBackupTask, backupSchedules, BACKUP_DATA_TASK, type BackupTaskResult } from './task.ts';
export { BackupCorruptError, BackupFailedError, RestoreTargetNotEmptyError } from './errors.ts';
export type { BackupFile } from './archive.ts';
