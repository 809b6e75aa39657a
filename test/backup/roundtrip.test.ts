import { readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsBlobStore, type BlobStore } from '../../src/blobs/index.ts';
import { BackupCorruptError, createBackup, restoreBackup, RestoreTargetNotEmptyError, verifyBackup, type BackupSettings } from '../../src/backup/index.ts';
import { migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { createTaskSystem, type TaskSystem, type TaskBackend } from '../../src/tasks/index.ts';
import { createSqliteTaskBackend } from '../../src/tasks/backends/sqlite/index.ts';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/db.ts';
import { add } from '../tasks/fixtures/tasks.ts';
import { blobDigests, emptyTarget, settingsFor, tableDigests, tempDir } from './support.ts';

describe.each(DIALECTS)('backup and restore (%s)', (dialect) => {
  let source: TestDatabase;
  let dataDir: string;
  let blobs: BlobStore;
  let backend: TaskBackend;
  let tasks: TaskSystem;
  let settings: BackupSettings;
  let schema: string | undefined;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    source = await openTestDatabase(dialect);
    dataDir = tempDir('backup-src');
    blobs = createFsBlobStore(join(dataDir, 'blobs'));
    backend = createSqliteTaskBackend({ file: join(dataDir, 'tasks.sqlite') });
    tasks = createTaskSystem({ backend, tasks: [add] });
    settings = settingsFor(source.config, dataDir, join(tempDir('backups'), 'b'));
    if (dialect === 'postgres') schema = (await sql<{ s: string }>`select current_schema() as s`.execute(source.db.kysely)).rows[0]?.s;
  });

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    await tasks.close();
    await backend.close();
    await blobs.close();
    await source.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Customers, blobs and queued tasks written continuously until `stop`, each customer in its own transaction. */
  function writeUnderLoad(): { stop(): Promise<number> } {
    let running = true;
    let written = 0;
    const loop = (async () => {
      while (running) {
        const n = written++;
        await source.db.kysely
          .insertInto('customers')
          .values({
            code: `C-${n}`,
            name: `客户 ${n}`,
            email: `c${n}@example.com`,
            country: 'CN',
            segment: 'smb',
            credit_limit_cents: 0,
            payment_terms_days: 30,
          })
          .execute();
        if (n % 5 === 0) await blobs.put(`load/${n}.bin`, Buffer.from(`blob ${n} `.repeat(200)));
        if (n % 7 === 0) await tasks.task(add).delay({ a: n, b: 1 });
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        return written;
      },
    };
  }

  async function restoredTarget(): Promise<{ settings: BackupSettings; blobs: BlobStore; close(): Promise<void> }> {
    const target = await emptyTarget(dialect, schema);
    const targetBlobs = createFsBlobStore(join(target.dataDir, 'blobs'));
    cleanups.push(async () => {
      await targetBlobs.close();
      await target.drop();
      rmSync(target.dataDir, { recursive: true, force: true });
    });
    return { settings: settingsFor(target.config, target.dataDir, settings.backup.dir), blobs: targetBlobs, close: async () => {} };
  }

  it('a backup taken while the service writes restores elsewhere to exactly the snapshot its manifest describes', async () => {
    const load = writeUnderLoad();
    // Let the load get going, so the backup really overlaps with writes.
    while (
      (
        await source.db.kysely
          .selectFrom('customers')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n < 30
    )
      await new Promise((r) => setTimeout(r, 10));
    const summary = await createBackup(settings, { blobs });
    const written = await load.stop();
    const manifest = await verifyBackup(summary.path);
    expect(manifest.database.tables.customers).toBeGreaterThanOrEqual(30);
    expect(manifest.database.migration).toMatch(/^\d{4}-/);
    expect(manifest.taskQueue).toBeDefined();
    expect(manifest.blobs.count).toBeGreaterThan(0);
    expect(written).toBeGreaterThanOrEqual(manifest.database.tables.customers ?? 0);

    const target = await restoredTarget();
    const restored = await restoreBackup(summary.path, target.settings, { blobs: target.blobs });
    expect(restored.tables).toEqual(manifest.database.tables);
    const db = await openDatabase(target.settings.database, { slowQueries: false });
    try {
      const digests = await tableDigests(db.kysely, dialect);
      expect(Object.fromEntries(Object.entries(digests).map(([t, d]) => [t, d.rows]))).toEqual(manifest.database.tables);
      // Each customer was committed whole: the snapshot holds C-0 … C-(n-1) with no gap.
      const codes = (await db.kysely.selectFrom('customers').select('code').execute()).map((r) => Number(r.code.slice(2))).sort((a, b) => a - b);
      expect(codes).toEqual(codes.map((_, i) => i));
    } finally {
      await db.close();
    }
    const restoredBlobs = await blobDigests(target.blobs);
    expect(Object.keys(restoredBlobs).sort()).toEqual(manifest.blobs.files.map((f) => f.key).sort());
  });

  it('after the writes stop, every table, blob and the task queue restore identical', async () => {
    const summary = await createBackup(settings, { blobs });
    const target = await restoredTarget();
    await restoreBackup(summary.path, target.settings, { blobs: target.blobs });
    const db = await openDatabase(target.settings.database, { slowQueries: false });
    try {
      const expected = await tableDigests(source.db.kysely, dialect);
      expect(Object.keys(expected).length).toBeGreaterThan(10);
      expect(await tableDigests(db.kysely, dialect)).toEqual(expected);
    } finally {
      await db.close();
    }
    expect(await blobDigests(target.blobs)).toEqual(await blobDigests(blobs));
    const queueOf = async (dir: string) => {
      const queue = await openDatabase({ kind: 'sqlite', file: join(dir, 'tasks.sqlite') }, { slowQueries: false });
      try {
        return await tableDigests(queue.kysely, 'sqlite');
      } finally {
        await queue.close();
      }
    };
    const queued = await queueOf(dataDir);
    expect(Object.values(queued).some((t) => t.rows > 0)).toBe(true);
    expect(await queueOf(target.settings.dataDir)).toEqual(queued);
  });

  it('refuses a non-empty target without --force, and with it makes the target identical', async () => {
    const summary = await createBackup(settings, { blobs });
    const target = await restoredTarget();
    const other = await openDatabase(target.settings.database, { slowQueries: false });
    await migrateToLatest(other);
    await other.kysely
      .insertInto('customers')
      .values({ code: 'STRAY', name: 'stray', country: 'DE', segment: 'smb', credit_limit_cents: 0, payment_terms_days: 30 })
      .execute();
    await other.close();
    await target.blobs.put('stray/object', Buffer.from('not in the backup'));

    const refused = restoreBackup(summary.path, target.settings, { blobs: target.blobs });
    await expect(refused).rejects.toBeInstanceOf(RestoreTargetNotEmptyError);
    await expect(refused).rejects.toThrow(/not empty \(.*holds \d+ tables; the fs blob store holds objects\).*--force/);

    await restoreBackup(summary.path, target.settings, { blobs: target.blobs, force: true });
    const db = await openDatabase(target.settings.database, { slowQueries: false });
    try {
      expect(await tableDigests(db.kysely, dialect)).toEqual(await tableDigests(source.db.kysely, dialect));
    } finally {
      await db.close();
    }
    expect(await blobDigests(target.blobs)).toEqual(await blobDigests(blobs));
  });

  it('a corrupted backup is refused with one line before the target is touched', async () => {
    const summary = await createBackup(settings, { blobs });
    const blobFile = join(summary.path, verifyBackupFileOf(summary.path));
    const bytes = readFileSync(blobFile);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    writeFileSync(blobFile, bytes);

    const target = await restoredTarget();
    const refused = restoreBackup(summary.path, target.settings, { blobs: target.blobs });
    await expect(refused).rejects.toBeInstanceOf(BackupCorruptError);
    await expect(refused).rejects.toThrow(/^backup \S+ is corrupt: blobs\/load\/\d+\.bin\.zst fails its sha256 checksum; nothing was restored$/);
    expect(await blobDigests(target.blobs)).toEqual({});
    if (dialect === 'sqlite') expect(readdirSync(target.settings.dataDir)).toEqual([]);
  });
});

/** The first blob file named in a backup's manifest. */
function verifyBackupFileOf(dir: string): string {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { blobs: { files: Array<{ file: string }> } };
  const first = manifest.blobs.files[0];
  if (!first) throw new Error('the backup holds no blob');
  return first.file;
}
