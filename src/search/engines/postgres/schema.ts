import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the search tables are not part of the app's typed schema
type AnyDb = Kysely<any>;

/** Table names of one generation; `g` is always 1 or 2, never user input. */
export type Tables = ReturnType<typeof tables>;

export const tables = (g: number) => ({ docs: `search_docs_${g}`, terms: `search_terms_${g}`, postings: `search_postings_${g}` });

/** A generation whose documents were written before the postings table existed: its rows must be written again. */
export async function needsUpgrade(db: AnyDb, g: number): Promise<boolean> {
  const t = tables(g);
  const { rows } = await sql<{ docs: string | null; postings: string | null }>`select to_regclass(${t.docs})::text as docs,
    to_regclass(${t.postings})::text as postings`.execute(db);
  return rows[0]?.docs != null && rows[0]?.postings == null;
}

export async function createGeneration(db: AnyDb, g: number): Promise<void> {
  const t = tables(g);
  // toast_tuple_target: a row is kept small (the body, title and tsvector go to the TOAST table), so that the heap pages a
  // search visits for its matches are few: a count of 4,300 matches read 2,000 pages of wide rows, ~300 of narrow ones.
  // Searches read a tsvector only to recheck a phrase, rank a phrase or prefix group, or suggest; the postings rank
  // the rest. (It was 8,160, keeping tsvectors inline, while every match's tsvector was ranked.) The ALTER below
  // applies it to rows a table made before writes from now on (a storage parameter: no rewrite, a light lock).
  await sql
    .raw(
      `create table if not exists ${t.docs} (
    id text primary key, document_id text not null, title text not null, body text not null, type text, language text,
    date timestamptz, tags text[] not null default '{}', pinyin text not null default '', hash text not null, tsv tsvector not null,
    rid bigint generated always as identity)
    with (toast_tuple_target = 128)`,
    )
    .execute(db);
  await sql.raw(`alter table ${t.docs} set (toast_tuple_target = 128)`).execute(db);
  // BM25's document length (title and body words); tables made before it existed use the tsvector's length until rebuilt.
  await sql.raw(`alter table ${t.docs} add column if not exists len integer`).execute(db);
  await sql.raw(`create index if not exists ${t.docs}_tsv on ${t.docs} using gin (tsv)`).execute(db);
  await sql.raw(`create index if not exists ${t.docs}_tags on ${t.docs} using gin (tags)`).execute(db);
  await sql.raw(`create index if not exists ${t.docs}_document on ${t.docs} (document_id)`).execute(db);
  await sql.raw(`create unique index if not exists ${t.docs}_rid on ${t.docs} (rid)`).execute(db);
  // Document frequencies, kept with every write: PostgreSQL's ts_rank has no IDF, BM25 needs one.
  await sql.raw(`create table if not exists ${t.terms} (term text primary key, df integer not null)`).execute(db);
  await createPostings(db, g);
}

export async function createPostings(db: AnyDb, g: number): Promise<void> {
  const t = tables(g);
  // Each row's weighted frequency of every title, body and sub-word term (a body occurrence 1, a title one 8, a sub-word
  // 0.3) and its length: BM25 from index-only scans of the query terms' postings instead of ts_rank_cd over the
  // tsvector of every match. The primary key covers the scan; deletes find a row's postings through it too. Both are
  // float8, as the scoring computes: no conversion per posting.
  await sql
    .raw(
      `create table if not exists ${t.postings} (term text not null, rid bigint not null, tf float8 not null, len float8 not null,
    primary key (term, rid) include (tf, len))`,
    )
    .execute(db);
}

/**
 * The functions a search calls, one round trip each where plain statements took several (bench:search's PostgreSQL
 * p95 went from 9.3 to 8.3 / 7.8 ms, two runs beside main's on the same machine). Created or replaced at every
 * start, so that a database a previous version laid out gets them with no upgrade step; they take the generation as
 * an argument or read it themselves, so a rebuild's swap and drop need nothing of them. Called under the schema lock (underSchemaLock).
 *  - search_lookup(words): the active generation and the document frequency of each of `words` found in it (BM25's
 *    IDFs and the typo tolerance's vocabulary check), where reading the generation and the frequencies took two.
 *  - search_count(g, q): how many rows of generation `g` match `q`, with seq scans off for the call (see the engine's
 *    #byIndex), where a transaction setting it took four: BEGIN, set_config, the count, COMMIT.
 */
export async function createFunctions(trx: AnyDb): Promise<void> {
  await sql
    .raw(
      `create or replace function search_lookup(words text[], out generation integer, out terms text[], out dfs integer[])
    language plpgsql stable as $$
    begin
      generation := coalesce((select value from search_meta where name = 'active'), 1);
      execute format('select array_agg(term), array_agg(df) from %I where term = any($1)', 'search_terms_' || generation) into terms, dfs using words;
    end $$`,
    )
    .execute(trx);
  await sql
    .raw(
      `create or replace function search_count(generation integer, q tsquery) returns bigint
    language plpgsql stable set enable_seqscan = off as $$
    declare n bigint;
    begin
      execute format('select count(*) from %I d where d.tsv @@ $1', 'search_docs_' || generation) into n using q;
      return n;
    end $$`,
    )
    .execute(trx);
}

/**
 * Runs `work` in one transaction that holds the search schema's advisory lock, so that processes starting at once on
 * the same database create its tables, indexes and functions in turn: concurrent CREATE TABLE IF NOT EXISTS and CREATE
 * OR REPLACE FUNCTION fail with a unique violation in the catalogue instead of waiting for each other.
 */
export function underSchemaLock<T>(db: AnyDb, work: (trx: AnyDb) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('search_schema'))`.execute(trx);
    return work(trx);
  });
}

/**
 * A rebuilt generation is vacuumed and analysed before it serves: the postings are read by index-only scans, which
 * visit the table for every row until a vacuum marks its pages all-visible, and a table without statistics gets
 * plans for one (autovacuum would do both, but up to a minute or more after the load).
 */
export async function vacuumGeneration(db: AnyDb, g: number): Promise<void> {
  const t = tables(g);
  for (const name of [t.docs, t.postings, t.terms]) await sql.raw(`vacuum (analyze) ${name}`).execute(db);
}

export async function dropGeneration(db: AnyDb, g: number): Promise<void> {
  const t = tables(g);
  for (const name of [t.postings, t.terms, t.docs]) await sql.raw(`drop table if exists ${name}`).execute(db);
}
