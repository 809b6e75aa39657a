import { sql, type Kysely } from 'kysely';
import type { SearchDocument } from './types.ts';

/**
 * Zero-downtime rebuilds, the same way on every SQL engine (Elasticsearch's index + alias): the index lives
 * in one of two generations of tables; `active` is what searches read, `building` (while a rebuild runs)
 * is what it fills. Writes go to both, so nothing written during a rebuild is lost by the swap.
 */
export interface Generations {
  active: number;
  building: number | null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the search tables are not part of the app's typed schema
type AnyDb = Kysely<any>;

export async function ensureMeta(db: AnyDb): Promise<void> {
  await sql`create table if not exists search_meta (name varchar(32) primary key, value integer)`.execute(db);
  await sql`insert into search_meta (name, value) values ('active', 1) on conflict (name) do nothing`.execute(db);
  await sql`insert into search_meta (name, value) values ('building', null) on conflict (name) do nothing`.execute(db);
}

export async function readGenerations(db: AnyDb): Promise<Generations> {
  const { rows } = await sql<{ name: string; value: number | null }>`select name, value from search_meta`.execute(db);
  const value = (name: string) => rows.find((r) => r.name === name)?.value ?? null;
  return { active: Number(value('active') ?? 1), building: value('building') === null ? null : Number(value('building')) };
}

export async function setGeneration(db: AnyDb, name: 'active' | 'building', value: number | null): Promise<void> {
  await sql`update search_meta set value = ${value} where name = ${name}`.execute(db);
}

/**
 * Runs `write` in one transaction for every generation a write must reach: the active one, and the one a
 * rebuild is filling, if any (read inside the transaction, so a swap cannot slip in between).
 */
export async function inEveryWriteTarget(db: AnyDb, write: (trx: AnyDb, g: number) => Promise<void>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const g = await readGenerations(trx);
    for (const target of g.building === null || g.building === g.active ? [g.active] : [g.active, g.building]) await write(trx, target);
  });
}

/** How an engine creates, drops and fills one generation of its tables. */
export interface GenerationTables {
  create(db: AnyDb, g: number): Promise<void>;
  drop(db: AnyDb, g: number): Promise<void>;
  write(db: AnyDb, g: number, units: readonly SearchDocument[]): Promise<void>;
  /** After the last batch, before the swap: e.g. statistics for the new tables, outside any transaction. */
  ready?(db: AnyDb, g: number): Promise<void>;
}

/**
 * Fills the inactive generation from `source` while writes reach both, then swaps `active` in one
 * transaction. The old generation is dropped a few seconds later, once searches that read it have ended.
 */
export async function rebuildGeneration(
  db: AnyDb,
  tables: GenerationTables,
  source: () => AsyncIterable<readonly SearchDocument[]>,
): Promise<{ indexed: number }> {
  const { active } = await readGenerations(db);
  const next = active === 1 ? 2 : 1;
  await tables.drop(db, next);
  await tables.create(db, next);
  await setGeneration(db, 'building', next);
  let indexed = 0;
  try {
    for await (const batch of source()) {
      if (batch.length > 0) await db.transaction().execute((trx) => tables.write(trx, next, batch));
      indexed += batch.length;
    }
    await tables.ready?.(db, next);
    await db.transaction().execute(async (trx) => {
      await setGeneration(trx, 'active', next);
      await setGeneration(trx, 'building', null);
    });
  } catch (error) {
    await setGeneration(db, 'building', null);
    throw error;
  }
  setTimeout(() => void tables.drop(db, active).catch(() => undefined), 5_000).unref();
  return { indexed };
}
