import { randomBytes } from 'node:crypto';
import { open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Readiness of the data dir: a real write (create, write, fsync, delete a small file) and free space above
 * `minFreeBytes`, so a full or read-only disk turns /readyz red before every write starts failing.
 * The reason names no path: it is logged, and only the check's name reaches the unauthenticated body.
 */
export async function checkDataDir(dir: string, minFreeBytes: number): Promise<void> {
  const probe = join(dir, `.ready-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(probe, 'wx');
    try {
      await handle.write('ok');
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new Error(`the data dir is not writable (${(error as { code?: string }).code ?? (error as Error).message})`, { cause: error });
  } finally {
    await rm(probe, { force: true });
  }
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free < minFreeBytes)
    throw new Error(
      `the data dir has ${Math.floor(free / 1_048_576)} MB free, below the ${Math.floor(minFreeBytes / 1_048_576)} MB minimum (AI_STACK_MIN_FREE_DISK_MB)`,
    );
}
