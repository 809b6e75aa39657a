import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createBlobStore, type BlobStore } from '../blobs/index.ts';
import type { Config } from '../config/index.ts';
import { compressInto, type BackupFile } from './archive.ts';
import { dumpBlobs } from './blobs.ts';
import { BackupFailedError } from './errors.ts';
import { FORMAT, MANIFEST, writeManifest, type BackupManifest } from './manifest.ts';
import { dumpPostgres } from './postgres.ts';
import { backupsToDelete } from './retention.ts';
import { snapshotSqlite } from './sqlite.ts';

/** What a backup reads from the configuration: the database, the data dir (task queue), the blob store and where backups go. */
export type BackupSettings = Pick<Config, 'dataDir' | 'database' | 'redis' | 'backup'> & { documents: Pick<Config['documents'], 'blobUrl'> };

export interface BackupSummary {
  id: string;
  path: string;
  createdAt: string;
  /** Bytes of the backup on disk (compressed). */
  bytes: number;
  tables: Record<string, number>;
  blobs: number;
  migration: string | null;
}

const PARTIAL = '.partial-';

/** The embedded task queue's file (see app/tasks.ts `taskBackendFor`); absent when tasks run on Redis. */
export function taskQueueFile(settings: Pick<Config, 'dataDir' | 'redis'>): string | undefined {
  return settings.redis ? undefined : join(settings.dataDir, 'tasks.sqlite');
}

/**
 * Takes one consistent backup into `<backup dir>/<id>/` while the service keeps running. It is written
 * under a `.partial-` name and renamed only when complete, so a crash never leaves a backup that looks whole.
 */
/** Hears how far a backup is: a fraction 0..1 and the part being written. */
export type BackupProgress = (fraction: number, step: string) => Promise<void> | void;

/**
 * Share of the whole run each part is reported as. The database dump and the blobs are the bulk of the
 * work; the task queue and the manifest are small. Blobs advance one object at a time inside their share.
 */
const SHARES = { database: 0.45, taskQueue: 0.05, blobs: 0.45 } as const;

export async function createBackup(
  settings: BackupSettings,
  opts: { blobs?: BlobStore; now?: Date; onProgress?: BackupProgress } = {},
): Promise<BackupSummary> {
  const report = opts.onProgress ?? (() => undefined);
  const now = opts.now ?? new Date();
  const id = `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
  await mkdir(settings.backup.dir, { recursive: true });
  const partial = join(settings.backup.dir, `${PARTIAL}${id}`);
  await mkdir(partial);
  const blobs = opts.blobs ?? createBlobStore(settings.documents.blobUrl, settings.dataDir);
  try {
    const files: BackupFile[] = [];
    await report(0, 'database');
    const database = await backupDatabase(settings, partial, files);
    await report(SHARES.database, 'task queue');
    const taskQueue = await backupTaskQueue(settings, partial, files);
    const blobsStart = SHARES.database + SHARES.taskQueue;
    await report(blobsStart, 'blobs');
    const dumped = await dumpBlobs(blobs, partial, (done, total) => report(blobsStart + (SHARES.blobs * done) / Math.max(total, 1), 'blobs'));
    files.push(...dumped.files);
    const manifest: BackupManifest = {
      format: FORMAT,
      id,
      createdAt: now.toISOString(),
      version: packageVersion(),
      database,
      ...(taskQueue ? { taskQueue } : {}),
      blobs: { store: blobs.kind, count: dumped.entries.length, bytes: dumped.bytes, files: dumped.entries },
      files,
    };
    await writeManifest(partial, manifest);
    const path = join(settings.backup.dir, id);
    await rename(partial, path);
    await report(1, 'done');
    return {
      id,
      path,
      createdAt: manifest.createdAt,
      bytes: files.reduce((sum, f) => sum + f.bytes, 0),
      tables: database.tables,
      blobs: dumped.entries.length,
      migration: database.migration,
    };
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    if (error instanceof BackupFailedError) throw error;
    throw new BackupFailedError(`backup failed: ${(error as Error).message}`, error);
  } finally {
    if (!opts.blobs) await blobs.close();
  }
}

async function backupDatabase(settings: BackupSettings, dir: string, files: BackupFile[]): Promise<BackupManifest['database']> {
  const db = settings.database;
  if (db.kind === 'sqlite') {
    if (db.file === ':memory:') throw new BackupFailedError('an in-memory SQLite database cannot be backed up');
    const copy = join(dir, 'database.sqlite.tmp');
    const snapshot = await snapshotSqlite(db.file, copy);
    files.push(await compressInto(createReadStream(copy), dir, 'database.sqlite.zst'));
    await rm(copy);
    return { dialect: 'sqlite', ...snapshot, file: 'database.sqlite.zst' };
  }
  const dump = join(dir, 'database.pgdump.tmp');
  const snapshot = await dumpPostgres(db.url, dump);
  files.push(await compressInto(createReadStream(dump), dir, 'database.pgdump.zst'));
  await rm(dump);
  return { dialect: 'postgres', ...snapshot, file: 'database.pgdump.zst' };
}

async function backupTaskQueue(settings: BackupSettings, dir: string, files: BackupFile[]): Promise<BackupManifest['taskQueue']> {
  const file = taskQueueFile(settings);
  if (!file || !(await stat(file).catch(() => undefined))) return undefined;
  const copy = join(dir, 'tasks.sqlite.tmp');
  const { tables } = await snapshotSqlite(file, copy);
  files.push(await compressInto(createReadStream(copy), dir, 'tasks.sqlite.zst'));
  await rm(copy);
  return { tables, file: 'tasks.sqlite.zst' };
}

/** Complete backups in the backup dir, newest first (partial ones are skipped). */
export async function listBackups(dir: string): Promise<Array<{ id: string; path: string; createdAt: Date }>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: Array<{ id: string; path: string; createdAt: Date }> = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const manifest = await readFile(join(dir, name, MANIFEST), 'utf8')
      .then((t) => JSON.parse(t) as Partial<BackupManifest>)
      .catch(() => undefined);
    const createdAt = manifest?.createdAt ? new Date(manifest.createdAt) : undefined;
    if (createdAt && !Number.isNaN(createdAt.getTime())) found.push({ id: name, path: join(dir, name), createdAt });
  }
  return found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

/** Deletes the backups retention does not keep, and partial ones left by a crash more than a day ago. */
export async function pruneBackups(settings: Pick<Config, 'backup'>, now = new Date()): Promise<string[]> {
  const backups = await listBackups(settings.backup.dir);
  const doomed = backupsToDelete(backups, settings.backup);
  for (const backup of doomed) await rm(join(settings.backup.dir, backup.id), { recursive: true, force: true });
  for (const name of await readdir(settings.backup.dir).catch(() => [] as string[])) {
    if (!name.startsWith(PARTIAL)) continue;
    const info = await stat(join(settings.backup.dir, name)).catch(() => undefined);
    if (info && now.getTime() - info.mtimeMs > 86_400_000) await rm(join(settings.backup.dir, name), { recursive: true, force: true });
  }
  return doomed.map((b) => b.id);
}

let version: string | undefined;
function packageVersion(): string {
  version ??= (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  return version;
}
