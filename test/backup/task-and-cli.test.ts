import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3BlobStore, parseBlobUrl, type BlobStore } from '../../src/blobs/index.ts';
import { createBackup, restoreBackup, type BackupTaskResult } from '../../src/backup/index.ts';
import { main } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config/index.ts';
import { migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { DIALECTS } from '../support/db.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { startTestS3, type TestS3 } from '../support/s3.ts';
import { blobDigests, settingsFor, tempDir } from './support.ts';

describe.each(DIALECTS)('sync.backup_data in the service (%s)', (dialect) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(dialect, { AI_STACK_BACKUP_CRON: '15 3 * * *' });
    await svc.runtime.startBackground();
  });
  afterAll(async () => svc.cleanup());

  it('is registered under its seed name, scheduled by Beat, and callable with .delay()', async () => {
    expect(svc.runtime.tasks.schedules).toContainEqual(expect.objectContaining({ task: 'sync.backup_data', cron: '15 3 * * *' }));
    const handle = await svc.runtime.tasks.system.send('sync.backup_data', {});
    const result = (await handle.get({ timeout: 60_000 })) as BackupTaskResult;
    expect(result.tables.kysely_migration).toBeGreaterThan(0);
    expect(result.migration).toMatch(/^\d{4}-/);
    expect(readdirSync(join(svc.runtime.config.dataDir, 'backups'))).toEqual([result.id]);
    await expect(svc.runtime.tasks.system.send('sync.backup_data', { now: 'please' })).rejects.toThrow(/\/now is not an allowed property/);
  });
});

describe('ai-stack backup / restore (SQLite)', () => {
  const run = async (args: string[], env: Record<string, string>) => {
    let stdout = '';
    let stderr = '';
    const out = new PassThrough().on('data', (c: Buffer) => (stdout += c.toString()));
    const err = new PassThrough().on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await main(args, { loadConfig: () => loadConfig({ LOG_LEVEL: 'silent', ...env }), stdout: out, stderr: err });
    return { code, stdout, stderr };
  };

  it('backs up, refuses a corrupt backup or a non-empty target in one line, and restores into an empty data dir', async () => {
    const source = tempDir('cli-src');
    const target = tempDir('cli-dst');
    const backups = tempDir('cli-backups');
    try {
      const db = await openDatabase({ kind: 'sqlite', file: join(source, 'ai-stack.db') }, { slowQueries: false });
      await migrateToLatest(db);
      await db.kysely
        .insertInto('customers')
        .values({ code: 'C-1', name: '张三', country: 'CN', segment: 'smb', credit_limit_cents: 0, payment_terms_days: 30 })
        .execute();
      await db.close();
      const backup = await run(['backup'], { AI_STACK_DATA_DIR: source, AI_STACK_BACKUP_DIR: backups });
      expect(backup).toMatchObject({ code: 0, stderr: '' });
      const id = /^Backup (\S+) written to /.exec(backup.stdout)?.[1] ?? '';
      expect((await run(['backup', '--list'], { AI_STACK_DATA_DIR: source, AI_STACK_BACKUP_DIR: backups })).stdout).toContain(id);

      expect(await run(['restore'], { AI_STACK_DATA_DIR: target })).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: ai-stack restore') });
      const notEmpty = await run(['restore', id], { AI_STACK_DATA_DIR: source, AI_STACK_BACKUP_DIR: backups });
      expect(notEmpty.code).toBe(1);
      expect(notEmpty.stderr).toMatch(/^ai-stack restore: the restore target is not empty \(the SQLite database .* holds \d+ tables\).*--force.*\n$/);

      const restored = await run(['restore', join(backups, id)], { AI_STACK_DATA_DIR: target });
      expect(restored).toMatchObject({ code: 0, stderr: '' });
      expect(restored.stdout).toMatch(new RegExp(`^Restored ${id}: \\d+ tables`));
      const copy = await openDatabase({ kind: 'sqlite', file: join(target, 'ai-stack.db') }, { slowQueries: false });
      expect(await copy.kysely.selectFrom('customers').select('name').execute()).toEqual([{ name: '张三' }]);
      await copy.close();

      const manifest = join(backups, id, 'manifest.json');
      writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"customers": 1', '"customers": 2'));
      const corrupt = await run(['restore', join(backups, id), '--force'], { AI_STACK_DATA_DIR: target });
      expect(corrupt.code).toBe(1);
      expect(corrupt.stderr).toBe(`ai-stack restore: backup ${id} is corrupt: manifest.json does not match manifest.sha256; nothing was restored\n`);
    } finally {
      for (const dir of [source, target, backups]) rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('blobs in an S3-compatible store', () => {
  let s3: TestS3;
  let from: BlobStore;
  let to: BlobStore;
  beforeAll(async () => {
    s3 = await startTestS3();
    const store = (prefix: string) => {
      const location = parseBlobUrl(s3.url(prefix));
      if (location.kind !== 's3') throw new Error('expected an s3 location');
      return createS3BlobStore({ ...location.options, stagingDir: tempDir('s3-staging') });
    };
    from = store('live/');
    to = store('restored/');
  });
  afterAll(async () => {
    await from.close();
    await to.close();
    await s3.close();
  });

  it('are backed up and restored through the store interface, byte-identical', async () => {
    for (let i = 0; i < 5; i++) await from.put(`docs/${i}/file.txt`, Buffer.from(`内容 ${i} `.repeat(1000 * (i + 1))));
    const dataDir = tempDir('s3-data');
    try {
      const settings = settingsFor({ kind: 'sqlite', file: join(dataDir, 'ai-stack.db') }, dataDir, join(dataDir, 'backups'));
      const db = await openDatabase(settings.database, { slowQueries: false });
      await migrateToLatest(db);
      await db.close();
      const summary = await createBackup(settings, { blobs: from });
      expect(summary.blobs).toBe(5);
      const targetDir = tempDir('s3-target');
      await restoreBackup(summary.path, settingsFor({ kind: 'sqlite', file: join(targetDir, 'ai-stack.db') }, targetDir, ''), { blobs: to });
      expect(await blobDigests(to)).toEqual(await blobDigests(from));
      rmSync(targetDir, { recursive: true, force: true });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
