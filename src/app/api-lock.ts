import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../shared/errors.ts';

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface ApiLock {
  release(): void;
}

/**
 * One API process per embedded data dir. Without Redis each process caches responses and list totals in its
 * own memory and hears nothing of the other's writes, so a second API process would serve stale lists for up
 * to the cache TTL. The lock file names its owner's pid; a lock whose process is gone (killed, crashed) is
 * taken over. Worker and scheduler processes do not take it: they share the data dir safely.
 */
export function acquireApiLock(dataDir: string): ApiLock {
  const file = join(ensureDir(dataDir), 'api.lock');
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      return { release: () => releaseIfMine(file) };
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(file);
    if (owner !== undefined && isAlive(owner)) {
      throw new ConfigError(
        `another AI Stack API process (pid ${owner.pid}, started ${owner.startedAt}) already serves AI_STACK_DATA_DIR ${dataDir}; ` +
          'stop it, give this one its own data dir, or set REDIS_URL so several API processes share caches',
      );
    }
    rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new ConfigError(`could not take the API lock ${file}; another process keeps re-creating it`);
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string'
      ? { pid: parsed.pid, host: parsed.host, startedAt: String(parsed.startedAt) }
      : undefined;
  } catch {
    return undefined; // unreadable or half-written by a process that died: stale
  }
}

function isAlive(owner: LockOwner): boolean {
  // A lock from another host (a data dir on shared storage) cannot be checked from here: assume it is live.
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM'; // exists, owned by another user
  }
}

function releaseIfMine(file: string): void {
  if (readOwner(file)?.pid === process.pid) rmSync(file, { force: true });
}

function ensureDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason =
      code === 'ENOTDIR'
        ? 'a part of its path is a file, not a directory'
        : code === 'EACCES' || code === 'EROFS'
          ? 'permission denied or read-only file system'
          : (error as Error).message;
    throw new ConfigError(`cannot create the data dir: ${reason} (AI_STACK_DATA_DIR is ${dir})`);
  }
  return dir;
}
