import { link, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { spoolHashed, stagedBlob } from './hashing-stream.ts';
import { BlobNotFoundError, checkKey, type BlobInfo, type BlobStore, type ByteRange, type StagedBlob, type StageOptions } from './store.ts';

const STAGING = '.staging';

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Objects as files under `root`; keys are relative paths. Writes go to `root/.staging`, are fsynced,
 * then renamed into place (and the directory fsynced), so a crash leaves either nothing or the whole file.
 */
export function createFsBlobStore(root: string): BlobStore {
  const staging = join(root, STAGING);
  const pathOf = (key: string) => join(root, ...checkKey(key).split('/'));

  // The store's own staging directory, on the same filesystem as the objects: committing is a rename.
  const stageFile = (body: Readable | Buffer, options: StageOptions) => spoolHashed(staging, body, { ...options, durable: true });

  async function place(from: string, key: string, replace: boolean): Promise<boolean> {
    const target = pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    let created = true;
    if (replace) await rename(from, target);
    else {
      // link() fails when the target exists: of two concurrent commits of one key exactly one creates it.
      try {
        await link(from, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        created = false;
      }
      await unlink(from);
    }
    await fsyncPath(dirname(target));
    return created;
  }

  async function info(key: string): Promise<BlobInfo | undefined> {
    try {
      const s = await stat(pathOf(key));
      return s.isFile() ? { key, size: s.size, modifiedAt: s.mtime } : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async function* walk(dir: string): AsyncGenerator<string> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) yield* walk(full);
      else if (entry.isFile()) yield relative(root, full).split(sep).join('/');
    }
  }

  return {
    kind: 'fs',
    async stage(body, options = {}): Promise<StagedBlob> {
      return stagedBlob(await stageFile(body, options), (path, key) => place(path, key, false));
    },
    async put(key, body, options = {}) {
      checkKey(key);
      const file = await stageFile(body, options);
      await place(file.path, key, true);
      return (await info(key)) as BlobInfo;
    },
    async get(key, range?: ByteRange) {
      const path = pathOf(key);
      const handle = await open(path, 'r').catch((error: unknown) => {
        throw isMissing(error) ? new BlobNotFoundError(key) : error;
      });
      return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
    },
    stat: info,
    async delete(key) {
      try {
        await unlink(pathOf(key));
        return true;
      } catch (error) {
        if (isMissing(error)) return false;
        throw error;
      }
    },
    async *list(prefix = '') {
      // Sorted, so a listing is stable from run to run (directory order is the filesystem's).
      const keys: string[] = [];
      for await (const key of walk(root)) if (key.startsWith(prefix)) keys.push(key);
      keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const key of keys) {
        const found = await info(key);
        if (found) yield found;
      }
    },
    async close() {},
  };
}
