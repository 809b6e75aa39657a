import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, translateDatabaseError, type Db } from '../../src/db/index.ts';
import { UnavailableError } from '../../src/shared/errors.ts';
import { ThrowawayPostgres } from '../support/postgres-cluster.ts';
import { freePort, runCli } from '../support/process.ts';
import { eventually } from '../support/wait.ts';

/** A PostgreSQL restart (the server terminates every backend with 57P01) must not take the service down. */
describe('PostgreSQL restart', () => {
  let cluster: ThrowawayPostgres;
  beforeAll(async () => {
    cluster = await ThrowawayPostgres.start();
  }, 120_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('a connection checked out inside a transaction fails its caller with 503, and the pool recovers', async () => {
    const db: Db = await openDatabase({ kind: 'postgres', url: cluster.url, poolSize: 2 });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const failure = await db.kysely
        .transaction()
        .execute(async (trx) => {
          await sql`select 1`.execute(trx);
          // The client is checked out and idle in the transaction when the server goes away.
          await cluster.restart();
          await new Promise((resolve) => setImmediate(resolve));
          return sql`select 1`.execute(trx).then(
            () => undefined,
            (error: unknown) => error,
          );
        })
        .catch((error: unknown) => error);
      expect(translateDatabaseError(failure)).toBeInstanceOf(UnavailableError);
      await eventually(
        async () =>
          await db.ping().then(
            () => true,
            () => false,
          ),
        30_000,
        'the pool to reconnect',
      );
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await db.close();
    }
  }, 60_000);

  it('the service rides through a restart under write load: 201 or 503, never an exit, writes succeed again after', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-pgrestart-'));
    const port = await freePort();
    const service = runCli(['start'], { PORT: String(port), AI_STACK_DATA_DIR: dataDir, DATABASE_URL: cluster.url, LOG_LEVEL: 'warn' });
    try {
      const [key] = await service.waitFor(/ask_[A-Za-z0-9_-]{43}/, 60_000);
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 30_000, 'readiness');
      const statuses: number[] = [];
      let running = true;
      let serial = 0;
      const post = async (): Promise<number> => {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/customers`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ code: `PG-${serial++}`, name: 'Restart load', country: 'DE' }),
        });
        await response.arrayBuffer();
        return response.status;
      };
      // A refused or dropped connection counts as status 0: the service went away.
      const postOrZero = () => post().catch(() => 0);
      const writers = Array.from({ length: 4 }, async () => {
        while (running) statuses.push(await postOrZero());
      });
      await eventually(() => statuses.length >= 20, 30_000, 'writes before the restart');
      await cluster.restart();
      const afterRestart = statuses.length;
      await eventually(() => statuses.slice(afterRestart).filter((s) => s === 201).length >= 20, 60_000, 'writes after the restart');
      running = false;
      await Promise.all(writers);

      expect(service.child.exitCode).toBeNull();
      expect(new Set(statuses.filter((s) => s !== 201 && s !== 503))).toEqual(new Set());
      expect(service.output()).not.toMatch(/Unhandled 'error' event|uncaught/i);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
    } finally {
      service.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
