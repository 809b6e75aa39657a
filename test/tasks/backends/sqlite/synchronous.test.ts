import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { taskBackendFor } from '../../../../src/app/tasks.ts';
import { loadConfig } from '../../../../src/config/index.ts';
import { acquireStore, SqliteStore } from '../../../../src/tasks/backends/sqlite/store.ts';

// PRAGMA synchronous answers 1 for NORMAL and 2 for FULL.
const level = (file: string): number => Number((acquireStore(file).db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous);

describe('embedded task queue durability follows AI_STACK_SQLITE_SYNCHRONOUS', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const backendWith = (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-queue-sync-'));
    dirs.push(dir);
    const config = loadConfig({ AI_STACK_DATA_DIR: dir, ...env });
    return { backend: taskBackendFor(config), file: join(dir, 'tasks.sqlite') };
  };

  it('is durable (FULL) by default, with a SQLite or a PostgreSQL database', async () => {
    for (const env of [{}, { DATABASE_URL: 'postgres://root@127.0.0.1:5432/test' }] as Record<string, string>[]) {
      const { backend, file } = backendWith(env);
      expect(level(file)).toBe(2);
      await backend.close();
    }
  });

  it('commits a claim-only batch without an fsync and everything else with one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-queue-sync-'));
    dirs.push(dir);
    const store = new SqliteStore(join(dir, 'q.sqlite'), { synchronous: 'full' });
    const levelNow = (): number => (store.db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous;
    // A claim (not durable) alone: its batch runs at NORMAL.
    expect(await store.write(levelNow, false)).toBe(1);
    // A durable write after it, and a durable write arriving while a claim batch is open: FULL.
    expect(await store.write(levelNow)).toBe(2);
    const claim = store.write(levelNow, false);
    const add = store.write(levelNow);
    expect(await claim).toBe(1);
    expect(await add).toBe(2);
    expect(store.tx(levelNow)).toBe(2);
    store.close();
  });

  it('uses NORMAL only when asked', async () => {
    const { backend, file } = backendWith({ AI_STACK_SQLITE_SYNCHRONOUS: 'normal' });
    expect(level(file)).toBe(1);
    await backend.close();
  });
});
