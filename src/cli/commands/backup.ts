import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createBackup, listBackups, pruneBackups, restoreBackup } from '../../backup/index.ts';
import type { CliContext, Command } from '../command.ts';

const BACKUP_USAGE = `Usage:
  ai-stack backup            take a backup now (database, embedded task queue, blob store) into AI_STACK_BACKUP_DIR,
                             then apply retention (AI_STACK_BACKUP_KEEP_DAILY/WEEKLY/MONTHLY)
  ai-stack backup --list     the backups in AI_STACK_BACKUP_DIR, newest first
      --no-prune             keep every older backup this time`;

const RESTORE_USAGE = `Usage: ai-stack restore <backup directory or id> [--force]
  Restores into the configured DATABASE_URL, data dir and blob store. Every file is checked against the
  backup's sha256 sums first. A target that already holds data is refused unless --force (which replaces it).`;

export const backupCommand: Command = {
  name: 'backup',
  summary: 'Take a consistent online backup (or --list them)',
  usage: BACKUP_USAGE,
  async run(args, ctx) {
    const parsed = parse(args, { list: { type: 'boolean' }, 'no-prune': { type: 'boolean' } }, ctx, BACKUP_USAGE);
    if (!parsed) return 2;
    if (parsed.positionals.length > 0) return usageError(ctx, BACKUP_USAGE);
    const config = ctx.loadConfig();
    if (parsed.values.list) {
      for (const backup of await listBackups(config.backup.dir)) ctx.stdout.write(`${backup.id}  ${backup.createdAt.toISOString()}  ${backup.path}\n`);
      return 0;
    }
    const summary = await createBackup(config);
    const rows = Object.values(summary.tables).reduce((sum, n) => sum + n, 0);
    ctx.stdout.write(
      `Backup ${summary.id} written to ${summary.path}: ${Object.keys(summary.tables).length} tables, ${rows} rows, ${summary.blobs} blobs, ${summary.bytes} bytes.\n`,
    );
    if (!parsed.values['no-prune']) {
      const deleted = await pruneBackups(config);
      if (deleted.length > 0) ctx.stdout.write(`Retention deleted ${deleted.length} older backup(s): ${deleted.join(', ')}\n`);
    }
    return 0;
  },
};

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Restore a backup into an empty data dir and database (--force to replace)',
  usage: RESTORE_USAGE,
  async run(args, ctx) {
    const parsed = parse(args, { force: { type: 'boolean' } }, ctx, RESTORE_USAGE);
    if (!parsed) return 2;
    const [backup, ...extra] = parsed.positionals;
    if (backup === undefined || extra.length > 0) return usageError(ctx, RESTORE_USAGE);
    const config = ctx.loadConfig();
    // A bare id names a backup in AI_STACK_BACKUP_DIR.
    const path = backup.includes('/') ? backup : join(config.backup.dir, backup);
    const summary = await restoreBackup(path, config, { force: parsed.values.force === true });
    const rows = Object.values(summary.tables).reduce((sum, n) => sum + n, 0);
    ctx.stdout.write(
      `Restored ${summary.id}: ${Object.keys(summary.tables).length} tables, ${rows} rows, ${summary.blobs} blobs${summary.taskQueue ? ', the task queue' : ''}.\n`,
    );
    return 0;
  },
};

type Options = Parameters<typeof parseArgs>[0] extends infer C ? (C extends { options?: infer O } ? NonNullable<O> : never) : never;

function parse<O extends Options>(args: string[], options: O, ctx: CliContext, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    ctx.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return undefined;
  }
}

function usageError(ctx: CliContext, usage: string): number {
  ctx.stderr.write(`${usage}\n`);
  return 2;
}
