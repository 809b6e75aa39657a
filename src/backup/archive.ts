import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createZstdCompress, createZstdDecompress } from 'node:zlib';
import { HashingCounter } from '../blobs/index.ts';
import { BackupCorruptError } from './errors.ts';

/** One compressed file of a backup: checksums of the stored (zstd) bytes and of the original bytes. */
export interface BackupFile {
  /** Relative to the backup directory, `/`-separated. */
  path: string;
  bytes: number;
  sha256: string;
  rawBytes: number;
  rawSha256: string;
}

/** Streams `source` through zstd into `<dir>/<path>`, hashing both sides. */
export async function compressInto(source: Readable, dir: string, path: string): Promise<BackupFile> {
  const target = join(dir, path);
  await mkdir(dirname(target), { recursive: true });
  const raw = new HashingCounter();
  const stored = new HashingCounter();
  await pipeline(source, raw, createZstdCompress(), stored, createWriteStream(target, { flags: 'wx' }));
  return { path, bytes: stored.size, sha256: stored.digest(), rawBytes: raw.size, rawSha256: raw.digest() };
}

/** Decompresses one file into `sink`, failing (after the bytes went to the sink) if the original bytes do not match the manifest. */
export async function decompressTo(dir: string, file: BackupFile, sink: Writable, backupName: string): Promise<void> {
  const raw = new HashingCounter();
  try {
    await pipeline(createReadStream(join(dir, file.path)), createZstdDecompress(), raw, sink);
  } catch (error) {
    throw new BackupCorruptError(backupName, `${file.path} does not decompress (${(error as Error).message})`);
  }
  const sha256 = raw.digest();
  if (raw.size !== file.rawBytes || sha256 !== file.rawSha256)
    throw new BackupCorruptError(backupName, `${file.path} decompresses to other bytes than were backed up`);
}

/** sha256 and size of a file as stored. */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
