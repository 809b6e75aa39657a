import { sql, type Kysely } from 'kysely';

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

/** The generations a write must reach. */
export function writeTargets(g: Generations): number[] {
  return g.building === null || g.building === g.active ? [g.active] : [g.active, g.building];
}
