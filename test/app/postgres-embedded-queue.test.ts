import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { openTestDatabase } from '../support/db.ts';

/** DATABASE_URL=postgres://… without REDIS_URL on a fresh machine: the data dir does not exist yet. */
describe('PostgreSQL with the embedded task queue', () => {
  const parent = mkdtempSync(join(tmpdir(), 'ai-stack-pg-embedded-'));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  it('creates the data directory for the SQLite queue and runs a task', async () => {
    const testDb = await openTestDatabase('postgres');
    const config = { ...loadConfig({ PORT: '0', LOG_LEVEL: 'silent', AI_STACK_DATA_DIR: join(parent, 'not', 'yet', 'there') }), database: testDb.config };
    const runtime = await createRuntime(config, { logger: silentLogger });
    try {
      await runtime.startBackground();
      const handle = await runtime.tasks.system.send('sync.cleanup_cache', {});
      expect(await handle.get({ timeout: 20_000 })).toMatchObject({ l1Expired: expect.any(Number) });
    } finally {
      await runtime.stop();
      await testDb.cleanup();
    }
  });
});
