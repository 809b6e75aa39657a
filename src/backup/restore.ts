import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createBlobStore, type BlobStore } from '../blobs/index.ts';
import pg from 'pg';
import { decompressTo } from './archive.ts';
import { blobTargetState, restoreBlobs } from './blobs.ts';
import { taskQueueFile, type BackupSettings } from './create.ts';
import { BackupFailedError, RestoreTargetNotEmptyError } from './errors.ts';
import { fileOf, verifyBackup, type BackupManifest } from './manifest.ts';
import { describeSchema, postgresTargetState, restorePostgres } from './postgres.ts';
import { inspectSqliteFile, replaceSqliteFile } from './sqlite.ts';

export interface RestoreOptions {
  /** Replace a target that already holds data. */
  force?: boolean;
  blobs?: BlobStore;
}

export interface RestoreSummary {
  id: string;
  tables: Record<string, number>;
  blobs: number;
  taskQueue: boolean;
}

/**
 * Restores a backup into the configured database, task queue file and blob store. Every file is checked
 * against the manifest first, and a target holding data is refused unless `force`; afterwards the
 * restored tables are counted and must match the manifest's counts.
 */
export async function restoreBackup(backupPath: string, settings: BackupSettings, opts: RestoreOptions = {}): Promise<RestoreSummary> {
  const dir = resolve(backupPath);
  const manifest = await verifyBackup(dir);
  const name = basename(dir);
  if (manifest.database.dialect !== settings.database.kind) {
    throw new BackupFailedError(`backup ${name} holds a ${manifest.database.dialect} database; the target (DATABASE_URL) is ${settings.database.kind}`);
  }
  const blobs = opts.blobs ?? createBlobStore(settings.documents.blobUrl, settings.dataDir);
  const scratch = await mkdtemp(join(tmpdir(), 'ai-stack-restore-'));
  try {
    const reasons = [...(await databaseTargetState(settings, manifest)), ...taskQueueTargetState(settings, manifest), ...(await blobTargetState(blobs))];
    if (reasons.length > 0 && !opts.force) throw new RestoreTargetNotEmptyError(reasons);
    const replace = reasons.length > 0;
    const tables = await restoreDatabase(dir, manifest, settings, scratch, replace);
    const taskQueue = await restoreTaskQueue(dir, manifest, settings);
    const restoredBlobs = await restoreBlobs(blobs, dir, manifest, replace);
    return { id: manifest.id, tables, blobs: restoredBlobs, taskQueue };
  } finally {
    await rm(scratch, { recursive: true, force: true });
    if (!opts.blobs) await blobs.close();
  }
}

async function databaseTargetState(settings: BackupSettings, manifest: BackupManifest): Promise<string[]> {
  const db = settings.database;
  if (db.kind === 'postgres') return postgresTargetState(db.url, manifest.database.schema ?? 'public');
  const tables = Object.keys(inspectSqliteFile(db.file).tables).length;
  return tables > 0 ? [`the SQLite database ${db.file} holds ${tables} tables`] : [];
}

function taskQueueTargetState(settings: BackupSettings, manifest: BackupManifest): string[] {
  const file = taskQueueFile(settings);
  if (!manifest.taskQueue || !file) return [];
  return Object.keys(inspectSqliteFile(file).tables).length > 0 ? [`the task queue ${file} holds tables`] : [];
}

async function restoreDatabase(
  dir: string,
  manifest: BackupManifest,
  settings: BackupSettings,
  scratch: string,
  replace: boolean,
): Promise<Record<string, number>> {
  const db = settings.database;
  const file = fileOf(manifest, manifest.database.file, manifest.id);
  if (db.kind === 'sqlite') {
    // Decompressed beside the target, so the final rename stays on one filesystem.
    await mkdir(dirname(db.file), { recursive: true });
    const copy = `${db.file}.restoring`;
    await decompressTo(dir, file, createWriteStream(copy), manifest.id);
    const restored = inspectSqliteFile(copy).tables;
    checkCounts(manifest.id, 'database', manifest.database.tables, restored);
    await replaceSqliteFile(copy, db.file);
    return restored;
  }
  const dump = join(scratch, 'database.pgdump');
  await decompressTo(dir, file, createWriteStream(dump), manifest.id);
  const schema = manifest.database.schema ?? 'public';
  await restorePostgres(db.url, dump, schema, replace);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { tables } = await describeSchema(client, schema);
    checkCounts(manifest.id, 'database', manifest.database.tables, tables);
    return tables;
  } finally {
    await client.end();
  }
}

async function restoreTaskQueue(dir: string, manifest: BackupManifest, settings: BackupSettings): Promise<boolean> {
  const target = taskQueueFile(settings);
  if (!manifest.taskQueue || !target) return false;
  await mkdir(dirname(target), { recursive: true });
  const copy = `${target}.restoring`;
  await decompressTo(dir, fileOf(manifest, manifest.taskQueue.file, manifest.id), createWriteStream(copy), manifest.id);
  checkCounts(manifest.id, 'task queue', manifest.taskQueue.tables, inspectSqliteFile(copy).tables);
  await replaceSqliteFile(copy, target);
  return true;
}

function checkCounts(id: string, what: string, expected: Record<string, number>, actual: Record<string, number>): void {
  const names = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  for (const table of names) {
    if (expected[table] !== actual[table])
      throw new BackupFailedError(
        `restoring ${id} did not reproduce the ${what}: table ${table} has ${actual[table] ?? 'no'} rows, the manifest says ${expected[table] ?? 'none'}`,
      );
  }
}
