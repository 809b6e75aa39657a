import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { taskBackendFor } from '../../../../src/app/tasks.ts';
import { loadConfig } from '../../../../src/config/index.ts';
import { acquireStore } from '../../../../src/tasks/backends/sqlite/store.ts';

// PRAGMA synchronous answers 1 for NORMAL and 2 for FULL.
const level = (file: string): number =>
  Number((acquireStore(file).db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous);

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
    for (const env of [{}, { DATABASE_URL: 'postgres://127.0.0.1:5432/test' }] as Record<string, string>[]) {
      const { backend, file } = backendWith(env);
      expect(level(file)).toBe(2);
      await backend.close();
    }
  });

  it('uses NORMAL only when asked', async () => {
    const { backend, file } = backendWith({ AI_STACK_SQLITE_SYNCHRONOUS: 'normal' });
    expect(level(file)).toBe(1);
    await backend.close();
  });
});
