import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';

/** A small real file system (tmpfs) that the test can fill; needs mount rights (root in CI and here). */
function mountTmpfs(dir: string, megabytes: number): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Writes zeros until the file system says ENOSPC. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

async function startOn(dataDir: string): Promise<{ runtime: Runtime; base: string; key: string }> {
  const config = loadConfig({ PORT: '0', AI_STACK_DATA_DIR: dataDir, LOG_LEVEL: 'silent', AI_STACK_MIN_FREE_DISK_MB: '1' });
  const runtime = await createRuntime(config, { logger: silentLogger });
  const base = (await runtime.listen()).replace('[::1]', '127.0.0.1');
  return { runtime, base, key: runtime.bootstrapKey ?? '' };
}

const mountPoint = mkdtempSync(join(tmpdir(), 'ai-stack-tmpfs-'));
const mounted = mountTmpfs(mountPoint, 24);

describe.skipIf(!mounted)('health on a full disk (tmpfs)', () => {
  let svc: Awaited<ReturnType<typeof startOn>>;
  beforeAll(async () => {
    svc = await startOn(join(mountPoint, 'data'));
  });
  afterAll(async () => {
    await svc?.runtime.stop().catch(() => undefined);
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('writes answer 507 insufficient_storage, /readyz names the disk, and both recover when space is freed', async () => {
    const post = (i: number) =>
      fetch(`${svc.base}/api/v1/documents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${svc.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          title: `Doc ${i}`,
          filename: `d${i}.txt`,
          media_type: 'text/plain',
          size_bytes: 1,
          sha256: 'a'.repeat(64),
          metadata: { filler: 'x'.repeat(15_000) },
        }),
      });
    expect((await post(0)).status).toBe(201);
    expect((await fetch(`${svc.base}/readyz`)).status).toBe(200);

    const filler = join(mountPoint, 'filler');
    fillDisk(filler);
    // Space already inside the WAL file is reused, so the first writes may still fit: write until one does not.
    let full = await post(1);
    for (let i = 2; full.status === 201 && i < 500; i++) full = await post(i);
    expect(full.status).toBe(507);
    expect(full.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await full.json()).toMatchObject({ type: '/problems/insufficient_storage', status: 507 });
    const ready = await fetch(`${svc.base}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { detail: string };
    expect(body.detail).toBe('Not ready: disk');
    expect(JSON.stringify(body)).not.toContain(mountPoint);

    rmSync(filler);
    expect((await fetch(`${svc.base}/readyz`)).status).toBe(200);
    expect((await post(1000)).status).toBe(201);
  });
});

describe('health with a corrupt database page', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-corrupt-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('/readyz fails naming the database, without the SQLite error text', async () => {
    mkdirSync(dataDir, { recursive: true });
    let svc = await startOn(dataDir);
    const adminKey = svc.key;
    await svc.runtime.stop();
    // Overwrite the root page of the customers table with garbage, as a torn write or bad sector would.
    const file = join(dataDir, 'ai-stack.db');
    const db = new DatabaseSync(file);
    db.exec('pragma wal_checkpoint(truncate)');
    const { rootpage } = db.prepare("select rootpage from sqlite_master where name = 'customers'").get() as { rootpage: number };
    const pageSize = (db.prepare('pragma page_size').get() as { page_size: number }).page_size;
    db.close();
    const bytes = readFileSync(file);
    bytes.fill(0xa5, (rootpage - 1) * pageSize, rootpage * pageSize);
    writeFileSync(file, bytes);

    svc = await startOn(dataDir);
    try {
      const ready = await fetch(`${svc.base}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { detail: string };
      expect(body.detail).toBe('Not ready: database');
      expect(JSON.stringify(body)).not.toMatch(/malformed|sqlite/i);
      // Admins get the reason.
      const detail = await fetch(`${svc.base}/admin/readiness`, { headers: { authorization: `Bearer ${adminKey}` } });
      expect(detail.status).toBe(200);
      expect(await detail.json()).toMatchObject({
        status: 'not_ready',
        checks: { database: { ok: false, reason: expect.stringMatching(/malformed/) }, disk: { ok: true } },
      });
      expect((await fetch(`${svc.base}/admin/readiness`)).status).toBe(401);
    } finally {
      await svc.runtime.stop();
    }
  });
});
