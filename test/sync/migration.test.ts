import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, pendingMigrations } from '../../src/db/index.ts';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../support/db.ts';

describe.each(DIALECTS)('migration 0010-sync on a database that already has 0014 (%s)', (dialect) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(dialect);
  });
  afterAll(async () => t.cleanup());

  it('is applied although a later-numbered migration ran before it', async () => {
    // The state of a deployment upgraded from a build that had 0014-alerts but not yet 0010-sync.
    for (const table of ['sync_staging', 'sync_runs', 'sync_sources']) await sql`drop table ${sql.table(table)}`.execute(t.db.kysely);
    await sql`delete from kysely_migration where name = '0010-sync'`.execute(t.db.kysely);
    expect(await pendingMigrations(t.db)).toEqual(['0010-sync']);

    expect(await migrateToLatest(t.db)).toEqual({ applied: ['0010-sync'] });
    expect(await t.db.kysely.selectFrom('sync_sources').select('id').execute()).toEqual([]);
    expect(await pendingMigrations(t.db)).toEqual([]);
  });
});
