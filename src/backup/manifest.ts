import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join, normalize, sep } from 'node:path';
import { hashFile, type BackupFile } from './archive.ts';
import { BackupCorruptError } from './errors.ts';

export const MANIFEST = 'manifest.json';
/** The manifest's own checksum, so an edited or truncated manifest is refused like any other file. */
export const MANIFEST_SUM = 'manifest.sha256';
export const FORMAT = 1;

export interface BackupManifest {
  format: typeof FORMAT;
  id: string;
  createdAt: string;
  /** AI Stack's package version that wrote the backup. */
  version: string;
  database: {
    dialect: 'sqlite' | 'postgres';
    /** The newest migration applied when the backup was taken. */
    migration: string | null;
    /** PostgreSQL: the schema that was dumped (restored under the same name). */
    schema?: string;
    /** Row count per table, from the same snapshot as the dump. */
    tables: Record<string, number>;
    file: string;
  };
  /** The embedded task queue (absent when tasks run on Redis). */
  taskQueue?: { tables: Record<string, number>; file: string };
  blobs: { store: 'fs' | 's3'; count: number; bytes: number; files: Array<{ key: string; file: string }> };
  files: BackupFile[];
}

export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFile(join(dir, MANIFEST), text);
  await writeFile(join(dir, MANIFEST_SUM), `${sha256(text)}  ${MANIFEST}\n`);
}

/**
 * Reads the manifest and checks every file against it (sizes and sha256 of the stored bytes) before
 * anything else happens; the first mismatch is thrown as one BackupCorruptError line.
 */
export async function verifyBackup(dir: string): Promise<BackupManifest> {
  const name = basename(dir);
  const text = await readFile(join(dir, MANIFEST), 'utf8').catch(() => {
    throw new BackupCorruptError(name, `${MANIFEST} is missing or unreadable (is ${dir} a backup directory?)`);
  });
  const sum = await readFile(join(dir, MANIFEST_SUM), 'utf8').catch(() => '');
  if (sum.split(/\s+/)[0] !== sha256(text)) throw new BackupCorruptError(name, `${MANIFEST} does not match ${MANIFEST_SUM}`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(text) as BackupManifest;
  } catch {
    throw new BackupCorruptError(name, `${MANIFEST} is not JSON`);
  }
  const format: unknown = manifest.format;
  if (format !== FORMAT) throw new BackupCorruptError(name, `format ${JSON.stringify(format)} is not one this version reads (${FORMAT})`);
  for (const file of manifest.files) {
    const path = insideBackup(dir, file.path, name);
    const actual = await hashFile(path).catch(() => undefined);
    if (!actual) throw new BackupCorruptError(name, `${file.path} is missing`);
    if (actual.bytes !== file.bytes || actual.sha256 !== file.sha256) throw new BackupCorruptError(name, `${file.path} fails its sha256 checksum`);
  }
  return manifest;
}

export function fileOf(manifest: BackupManifest, path: string, backupName: string): BackupFile {
  const file = manifest.files.find((f) => f.path === path);
  if (!file) throw new BackupCorruptError(backupName, `the manifest names ${path} but lists no checksum for it`);
  return file;
}

/** A manifest is data from disk: its paths must not point outside the backup directory. */
function insideBackup(dir: string, path: string, name: string): string {
  const relative = normalize(path);
  if (relative.startsWith('..') || relative.startsWith(sep) || relative.includes(`${sep}..${sep}`))
    throw new BackupCorruptError(name, `file path ${path.slice(0, 100)} leaves the backup`);
  return join(dir, relative);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
