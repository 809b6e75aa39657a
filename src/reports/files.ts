import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { ValidationError } from '../shared/errors.ts';

/**
 * Where report files live. The blob store (src/blobs) will implement this too; switching is one line in the
 * composition root. Keys are ours (`exports/2026/…/report.xlsx`), never client text.
 */
export interface ReportFileStore {
  /** Writes a file through `write` (which gets a stream to fill and must end it); returns its size. */
  put(key: string, write: (out: Writable) => Promise<void>): Promise<{ size: number }>;
  get(key: string): Promise<Readable | undefined>;
  delete(key: string): Promise<void>;
}

const KEY = /^[a-z0-9][a-z0-9._/-]{0,200}$/;

/** Files under one directory (the data dir's `reports/`), written to a temporary name and renamed when complete. */
export class FsReportFileStore implements ReportFileStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = resolve(root);
  }

  #path(key: string): string {
    const path = resolve(this.#root, key);
    if (!KEY.test(key) || key.includes('..') || !path.startsWith(this.#root + sep))
      throw new ValidationError(`invalid report file key ${JSON.stringify(key.slice(0, 60))}`);
    return path;
  }

  async put(key: string, write: (out: Writable) => Promise<void>): Promise<{ size: number }> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.partial-${process.pid}-${Date.now()}`;
    const out = createWriteStream(temporary);
    try {
      await write(out);
      if (!out.writableFinished) await once(out, 'finish');
      await rename(temporary, path);
    } catch (error) {
      out.destroy();
      await rm(temporary, { force: true });
      throw error;
    }
    return { size: (await stat(path)).size };
  }

  async get(key: string): Promise<Readable | undefined> {
    const path = this.#path(key);
    try {
      await stat(path);
    } catch {
      return undefined;
    }
    return createReadStream(path);
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }
}

export function reportFilesDir(dataDir: string): string {
  return join(dataDir, 'reports');
}
