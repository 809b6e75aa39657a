import { sql, type Kysely } from 'kysely';
import type { SearchDocument } from '../../types.ts';
import type { StoredRow } from '../shared.ts';
import { createPostings, needsUpgrade, tables } from './schema.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the search tables are not part of the app's typed schema
type AnyDb = Kysely<any>;

/** Writes documents into generation `g`, keeping each one's stored hash (reconciliation must not see them as stale). */
export type UpgradeWrite = (db: AnyDb, g: number, documents: readonly SearchDocument[], hashes: ReadonlyMap<string, string>) => Promise<void>;

const PAGE = 500;

/**
 * Brings a generation written by an earlier version (no postings table, bigrams and unstemmed words not marked in the
 * tsvector) to the current layout, in place: every row is analysed again from its stored title and body and written
 * anew, and the document frequencies are counted again. One transaction under an advisory lock, so that two processes
 * starting at once upgrade once and searches read either the old rows or the new ones, never a mix; writers wait for it.
 * Processes of the earlier version still running afterwards would write rows without postings: stop them first, or
 * run a rebuild once every process runs this version.
 */
export async function upgradeGeneration(db: AnyDb, g: number, write: UpgradeWrite): Promise<boolean> {
  if (!(await needsUpgrade(db, g))) return false;
  const t = tables(g);
  // The new key column rewrites the table under an exclusive lock that also holds searches: kept to its own transaction.
  await sql.raw(`alter table ${t.docs} add column if not exists rid bigint generated always as identity`).execute(db);
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${t.postings}))`.execute(trx);
    if (!(await needsUpgrade(trx, g))) return false;
    await sql`lock table ${sql.table(t.docs)} in exclusive mode`.execute(trx);
    await createPostings(trx, g);
    await sql`delete from ${sql.table(t.terms)}`.execute(trx);
    for (let after = ''; ;) {
      const { rows } = await sql<
        Omit<StoredRow, 'date' | 'score'> & { date: Date | null; hash: string }
      >`select id, document_id, title, body, type, language, date, tags, hash from ${sql.table(t.docs)}
        where id collate "C" > ${after} order by id collate "C" limit ${PAGE}`.execute(trx);
      if (rows.length === 0) return true;
      after = rows.at(-1)?.id ?? after;
      // Deleted without the document frequency bookkeeping: the terms table is counted afresh by the writes.
      await sql`delete from ${sql.table(t.docs)} where id = any(${rows.map((r) => r.id)}::text[])`.execute(trx);
      const documents = rows.map((r): SearchDocument => ({
        id: r.id,
        documentId: r.document_id,
        title: r.title,
        body: r.body,
        ...(r.type === null ? {} : { type: r.type }),
        ...(r.language === null ? {} : { language: r.language }),
        ...(r.date === null ? {} : { date: new Date(r.date).toISOString() }),
        tags: r.tags,
      }));
      await write(trx, g, documents, new Map(rows.map((r) => [r.id, r.hash])));
    }
  });
}
