import { PassThrough } from 'node:stream';
import { BlobNotFoundError, type BlobStore, type StagedBlob } from '../blobs/index.ts';
import { compressInto, decompressTo, type BackupFile } from './archive.ts';
import { BackupCorruptError } from './errors.ts';
import type { BackupManifest } from './manifest.ts';

export interface DumpedBlobs {
  files: BackupFile[];
  entries: Array<{ key: string; file: string }>;
  bytes: number;
}

/**
 * Every object of the store, through its interface (the same for files and S3), each compressed into `blobs/<key>.zst`.
 * `onObject` hears after each object how many of the listed ones are done.
 */
export async function dumpBlobs(
  store: BlobStore,
  dir: string,
  onObject: (done: number, total: number) => Promise<void> | void = () => undefined,
): Promise<DumpedBlobs> {
  const keys: string[] = [];
  for await (const info of store.list()) keys.push(info.key);
  keys.sort();
  const dumped: DumpedBlobs = { files: [], entries: [], bytes: 0 };
  for (const [index, key] of keys.entries()) {
    let body;
    try {
      body = await store.get(key);
    } catch (error) {
      // Deleted between list and get (a document purged meanwhile): not part of this backup.
      if (error instanceof BlobNotFoundError) continue;
      throw error;
    }
    const file = await compressInto(body, dir, `blobs/${key}.zst`);
    dumped.files.push(file);
    dumped.entries.push({ key, file: file.path });
    dumped.bytes += file.rawBytes;
    await onObject(index + 1, keys.length);
  }
  return dumped;
}

export async function blobTargetState(store: BlobStore): Promise<string[]> {
  for await (const _info of store.list()) return [`the ${store.kind} blob store holds objects`];
  return [];
}

/**
 * Writes every backed-up object into the store, each verified against its sha256 before it becomes
 * visible. `replace` also removes objects the backup does not have, so the store ends identical.
 */
export async function restoreBlobs(store: BlobStore, dir: string, manifest: BackupManifest, replace: boolean): Promise<number> {
  const name = manifest.id;
  const wanted = new Set(manifest.blobs.files.map((entry) => entry.key));
  for (const entry of manifest.blobs.files) {
    const file = manifest.files.find((f) => f.path === entry.file);
    if (!file) throw new BackupCorruptError(name, `no checksum for ${entry.file}`);
    const staged = await stageVerified(store, dir, file, name);
    if (replace) await store.delete(entry.key);
    await staged.commit(entry.key);
  }
  if (replace) {
    const extra: string[] = [];
    for await (const info of store.list()) if (!wanted.has(info.key)) extra.push(info.key);
    for (const key of extra) await store.delete(key);
  }
  return wanted.size;
}

async function stageVerified(store: BlobStore, dir: string, file: BackupFile, name: string): Promise<StagedBlob> {
  const pass = new PassThrough();
  const [staged, written] = await Promise.allSettled([store.stage(pass), decompressTo(dir, file, pass, name)]);
  if (written.status === 'rejected') {
    if (staged.status === 'fulfilled') await staged.value.discard();
    throw written.reason;
  }
  if (staged.status === 'rejected') throw staged.reason;
  if (staged.value.sha256 !== file.rawSha256) {
    await staged.value.discard();
    throw new BackupCorruptError(name, `${file.path} restores to other bytes than were backed up`);
  }
  return staged.value;
}
