import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the search tables are not part of the app's typed schema
type AnyDb = Kysely<any>;

/** Table names of one generation; `g` is always 1 or 2, never user input. */
export const tables = (g: number) => ({ docs: `search_docs_${g}`, fts: `search_fts_${g}`, tags: `search_tags_${g}`, vocab: `search_vocab_${g}` });

export async function createGeneration(db: AnyDb, g: number): Promise<void> {
  const t = tables(g);
  await sql
    .raw(
      `create table if not exists ${t.docs} (
    rowid integer primary key, id text not null unique, document_id text not null, title text not null, body text not null,
    type text, language text, date text, tags text not null, hash text not null)`,
    )
    .execute(db);
  await sql.raw(`create index if not exists ${t.docs}_document on ${t.docs} (document_id)`).execute(db);
  await sql.raw(`create index if not exists ${t.docs}_date on ${t.docs} (date)`).execute(db);
  // Pre-analysed text: unicode61 only splits on the spaces we put between terms.
  await sql
    .raw(`create virtual table if not exists ${t.fts} using fts5(title, body, sub, bigram, pinyin, words, tokenize = 'unicode61 remove_diacritics 0')`)
    .execute(db);
  await sql.raw(`create virtual table if not exists ${t.vocab} using fts5vocab(${t.fts}, 'row')`).execute(db);
  await sql.raw(`create table if not exists ${t.tags} (tag text not null, doc integer not null, primary key (tag, doc)) without rowid`).execute(db);
}

export async function dropGeneration(db: AnyDb, g: number): Promise<void> {
  const t = tables(g);
  for (const name of [t.vocab, t.fts, t.tags, t.docs]) await sql.raw(`drop table if exists ${name}`).execute(db);
}
