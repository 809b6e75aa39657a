import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the search tables are not part of the app's typed schema
type AnyDb = Kysely<any>;

/** Table names of one generation; `g` is always 1 or 2, never user input. */
export const tables = (g: number) => ({ docs: `search_docs_${g}`, terms: `search_terms_${g}` });

export async function createGeneration(db: AnyDb, g: number): Promise<void> {
  const t = tables(g);
  // toast_tuple_target: rows up to a page's size stay whole in the table. At the default 2 kB, the tsvectors of ~15 % of
  // the benchmark's 400-character chunks went out to the TOAST table, and every recheck and ts_rank_cd of such a row
  // fetched it from there again (reading the tsvector of all 11,676 rows: 13-14 ms → 7 ms). A table made before keeps
  // the default for its existing rows until a rebuild makes the other generation; the ALTER below applies it to rows
  // written from now on (a storage parameter: no rewrite, a light lock).
  await sql
    .raw(
      `create table if not exists ${t.docs} (
    id text primary key, document_id text not null, title text not null, body text not null, type text, language text,
    date timestamptz, tags text[] not null default '{}', pinyin text not null default '', hash text not null, tsv tsvector not null)
    with (toast_tuple_target = 8160)`,
    )
    .execute(db);
  await sql.raw(`alter table ${t.docs} set (toast_tuple_target = 8160)`).execute(db);
  // BM25's document length (title and body words); tables made before it existed use the tsvector's length until rebuilt.
  await sql.raw(`alter table ${t.docs} add column if not exists len integer`).execute(db);
  await sql.raw(`create index if not exists ${t.docs}_tsv on ${t.docs} using gin (tsv)`).execute(db);
  await sql.raw(`create index if not exists ${t.docs}_tags on ${t.docs} using gin (tags)`).execute(db);
  await sql.raw(`create index if not exists ${t.docs}_document on ${t.docs} (document_id)`).execute(db);
  // Document frequencies, kept with every write: PostgreSQL's ts_rank has no IDF, BM25 needs one.
  await sql.raw(`create table if not exists ${t.terms} (term text primary key, df integer not null)`).execute(db);
}

export async function dropGeneration(db: AnyDb, g: number): Promise<void> {
  const t = tables(g);
  for (const name of [t.terms, t.docs]) await sql.raw(`drop table if exists ${name}`).execute(db);
}
