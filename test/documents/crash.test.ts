import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliProcess } from '../support/process.ts';
import { deleteKeysMatching, SHARED_REDIS_URL } from '../support/redis.ts';
import { startTestService, type TestService } from '../support/runtime.ts';
import { eventually } from '../support/wait.ts';
import { upload } from './support.ts';

const DOCUMENTS = 100;

/**
 * `kill -9` of the only worker in the middle of a 100-document batch on PostgreSQL + Redis: after a new
 * worker starts, every document ends ready with exactly one set of chunks and vectors.
 */
describe('documents: a worker killed with kill -9 mid-batch', () => {
  let svc: TestService;
  const prefix = `t-docs-crash-${randomBytes(4).toString('hex')}`;
  const blobDir = mkdtempSync(join(tmpdir(), 'ai-stack-crash-blobs-'));
  const workers: CliProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    const shared = { REDIS_URL: SHARED_REDIS_URL, AI_STACK_REDIS_PREFIX: prefix, AI_STACK_BLOB_URL: `file://${blobDir}` };
    // The service only takes uploads and enqueues: the workers are separate `ai-stack worker` processes.
    svc = await startTestService('postgres', shared);
    const database = svc.runtime.config.database;
    if (database.kind !== 'postgres') throw new Error('expected PostgreSQL');
    env = { ...shared, DATABASE_URL: database.url, AI_STACK_DATA_DIR: svc.runtime.config.dataDir, LOG_LEVEL: 'info' };
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await svc?.cleanup();
    await deleteKeysMatching(SHARED_REDIS_URL, `${prefix}*`);
    rmSync(blobDir, { recursive: true, force: true });
  });

  it('ends every document ready exactly once', { timeout: 240_000 }, async () => {
    const ids: number[] = [];
    for (let i = 0; i < DOCUMENTS; i++) {
      const body = `Batch document number ${i}.\n\n${'这是第'}${i}${'份文件，用来测试工作进程崩溃后的恢复。'}\n\nThe recovery test needs every document to be processed once. ${randomBytes(6).toString('hex')}`;
      const res = await upload(svc, Buffer.from(body), `batch-${i}.txt`);
      expect(res.status).toBe(202);
      ids.push(res.body.document.id);
    }
    const db = svc.runtime.db.kysely;
    const ready = async () =>
      Number(
        (
          await db
            .selectFrom('documents')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('status', '=', 'ready')
            .executeTakeFirst()
        )?.n,
      );

    const first = runCli(['worker'], env);
    workers.push(first);
    await eventually(async () => (await ready()) >= 10, 120_000, 'the first worker to finish some documents');
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await ready();
    expect(atKill).toBeLessThan(DOCUMENTS);

    const second = runCli(['worker'], env);
    workers.push(second);
    await eventually(async () => (await ready()) === DOCUMENTS, 200_000, 'every document to be ready after the restart');

    const statuses = await db.selectFrom('documents').select(['status']).where('id', 'in', ids).execute();
    expect(statuses.every((s) => s.status === 'ready')).toBe(true);
    const perDocument = await sql<{ document_id: number; chunks: number; ordinals: number; max_ordinal: number }>`
      select document_id, count(*)::int as chunks, count(distinct ordinal)::int as ordinals, max(ordinal)::int as max_ordinal
      from document_chunks group by document_id`.execute(db);
    expect(perDocument.rows).toHaveLength(DOCUMENTS);
    for (const row of perDocument.rows) {
      expect(row.chunks).toBe(row.ordinals);
      expect(row.max_ordinal).toBe(row.chunks - 1);
    }
    const vectors = await sql<{
      n: number;
      chunks: number;
    }>`select (select count(*)::int from document_vectors) as n, (select count(*)::int from document_chunks) as chunks`.execute(db);
    expect(vectors.rows[0]?.n).toBe(vectors.rows[0]?.chunks);
    // One extracted text per document, in the shared blob store (texts/<id>), written whole or not at all.
    const texts: string[] = [];
    for await (const blob of svc.runtime.tasks.documents.blobs.list('texts/')) texts.push(blob.key);
    expect(texts.sort()).toEqual(ids.map((id) => `texts/${id}`).sort());
  });
});
