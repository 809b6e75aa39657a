import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobTooLargeError, type StagedBlob } from './store.ts';

/** Pass-through that hashes and counts bytes, failing with BlobTooLargeError the moment the limit is passed. */
export class HashingCounter extends Transform {
  readonly #hash: Hash = createHash('sha256');
  readonly #maxBytes: number;
  size = 0;

  constructor(maxBytes = Number.POSITIVE_INFINITY) {
    super();
    this.#maxBytes = maxBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.#maxBytes) {
      done(new BlobTooLargeError(this.#maxBytes));
      return;
    }
    this.#hash.update(chunk);
    done(null, chunk);
  }

  digest(): string {
    return this.#hash.digest('hex');
  }
}

/** The first `bytes` bytes of a local (staging) file. */
export async function readHead(path: string, bytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A local staging file written while hashed and counted. */
export interface SpooledFile {
  path: string;
  sha256: string;
  size: number;
}

/**
 * Streams `body` into a new file in `dir` while hashing and counting it (refused past `maxBytes`), fsynced
 * when `durable`; on any failure the partial file is removed. Both stores stage uploads this way.
 */
export async function spoolHashed(dir: string, body: Readable | Buffer, options: { maxBytes?: number; durable: boolean }): Promise<SpooledFile> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, randomUUID());
  const counter = new HashingCounter(options.maxBytes);
  try {
    await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, counter, createWriteStream(path, { flags: 'wx' }));
    if (options.durable) {
      const handle = await open(path, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return { path, sha256: counter.digest(), size: counter.size };
}

/**
 * A spooled file as a StagedBlob: `commit` (once) hands its path to the store's own `place`, which owns the
 * file from then on; `discard` removes it. The one staging lifecycle both stores share.
 */
export function stagedBlob(file: SpooledFile, place: (path: string, key: string) => Promise<boolean>): StagedBlob {
  let done = false;
  return {
    sha256: file.sha256,
    size: file.size,
    head: (bytes) => readHead(file.path, bytes),
    async commit(key) {
      if (done) throw new Error('staged blob already committed or discarded');
      done = true;
      return { created: await place(file.path, key) };
    },
    async discard() {
      done = true;
      await rm(file.path, { force: true });
    },
  };
}
