import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/schema.ts';

/** Where the nearest-chunks query runs: an exact scan of `document_vectors`, or sqlite-vec's vec0 tables beside it. */
export type VectorIndexKind = 'exact' | 'sqlite-vec';

export interface VectorHit {
  chunk_id: number;
  score: number;
}

/**
 * A k-NN index kept beside `document_vectors` (the source of truth on both databases). The store calls
 * `add` after saving vectors and `remove` before deleting them; `nearest` returns candidates by cosine,
 * which the store then checks against live documents.
 */
export interface VectorIndex {
  readonly kind: VectorIndexKind;
  add(rows: readonly { chunk_id: number; document_id: number; vector: Float32Array }[], space: string): Promise<void>;
  remove(rows: readonly { chunk_id: number; dimension: number }[]): Promise<void>;
  /** Up to `k` candidates of `space`, best first; stale or deleted ones are filtered by the caller. */
  nearest(query: Float32Array, space: string, k: number): Promise<VectorHit[]>;
}

/** sqlite-vec's KNN answers at most this many neighbours per query. */
export const SQLITE_VEC_MAX_K = 4096;
const DIMENSION = /^\d{1,5}$/;

const tableOf = (dimension: number) => {
  if (!DIMENSION.test(String(dimension)) || dimension < 1) throw new Error(`invalid vector dimension ${dimension}`);
  return `document_vec_${dimension}`;
};

const bytesOf = (vector: Float32Array) => new Uint8Array(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength));

/**
 * sqlite-vec: one `vec0` virtual table per dimension (`document_vec_<d>`, cosine distance), rowid = chunk id
 * (a BigInt: vec0 refuses other numbers), the embedding space as a metadata column filtered inside the KNN.
 * Tables are made on first use and rebuilt from `document_vectors` when their row count disagrees (the
 * database was written while the extension could not load), so the index never answers from stale rows.
 */
export class SqliteVecIndex implements VectorIndex {
  readonly kind = 'sqlite-vec' as const;
  readonly #db: Kysely<DatabaseSchema>;
  readonly #ready = new Map<number, Promise<void>>();

  constructor(db: Kysely<DatabaseSchema>) {
    this.#db = db;
  }

  /** Whether the connection has sqlite-vec loaded. */
  static async available(db: Kysely<DatabaseSchema>): Promise<boolean> {
    try {
      await sql`select vec_version()`.execute(db);
      return true;
    } catch {
      return false;
    }
  }

  #table(dimension: number): Promise<void> {
    let ready = this.#ready.get(dimension);
    if (!ready) {
      ready = this.#prepare(dimension);
      this.#ready.set(dimension, ready);
      ready.catch(() => this.#ready.delete(dimension));
    }
    return ready;
  }

  async #prepare(dimension: number): Promise<void> {
    const table = sql.table(tableOf(dimension));
    await sql`create virtual table if not exists ${table} using vec0(chunk_id integer primary key, embedding float[${sql.raw(String(dimension))}] distance_metric=cosine, space text)`.execute(
      this.#db,
    );
    const indexed = Number((await sql<{ n: number }>`select count(*) as n from ${table}`.execute(this.#db)).rows[0]?.n ?? 0);
    const stored = Number(
      (
        await this.#db
          .selectFrom('document_vectors')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('dimension', '=', dimension)
          .executeTakeFirst()
      )?.n ?? 0,
    );
    if (indexed === stored) return;
    await this.#db.transaction().execute(async (trx) => {
      await sql`delete from ${table}`.execute(trx);
      let after = 0;
      for (;;) {
        const rows = await trx
          .selectFrom('document_vectors')
          .select(['chunk_id', 'model', 'embedding'])
          .where('dimension', '=', dimension)
          .where('chunk_id', '>', after)
          .orderBy('chunk_id')
          .limit(1000)
          .execute();
        for (const row of rows)
          await sql`insert into ${table}(chunk_id, embedding, space) values (${BigInt(row.chunk_id)}, ${row.embedding}, ${row.model})`.execute(trx);
        if (rows.length < 1000) break;
        after = rows.at(-1)?.chunk_id ?? after;
      }
    });
  }

  async add(rows: readonly { chunk_id: number; document_id: number; vector: Float32Array }[], space: string): Promise<void> {
    const first = rows[0];
    if (!first) return;
    await this.#table(first.vector.length);
    const table = sql.table(tableOf(first.vector.length));
    await this.#db.transaction().execute(async (trx) => {
      for (const row of rows) {
        // vec0 has no upsert: replace by deleting first (a re-run writes the same chunk again).
        await sql`delete from ${table} where chunk_id = ${BigInt(row.chunk_id)}`.execute(trx);
        await sql`insert into ${table}(chunk_id, embedding, space) values (${BigInt(row.chunk_id)}, ${bytesOf(row.vector)}, ${space})`.execute(trx);
      }
    });
  }

  async remove(rows: readonly { chunk_id: number; dimension: number }[]): Promise<void> {
    if (rows.length === 0) return;
    // Tables first, outside the transaction: making one takes the (single) SQLite writer itself.
    for (const dimension of new Set(rows.map((r) => r.dimension))) await this.#table(dimension);
    await this.#db.transaction().execute(async (trx) => {
      for (const row of rows) {
        await sql`delete from ${sql.table(tableOf(row.dimension))} where chunk_id = ${BigInt(row.chunk_id)}`.execute(trx);
      }
    });
  }

  async nearest(query: Float32Array, space: string, k: number): Promise<VectorHit[]> {
    await this.#table(query.length);
    const limit = Math.min(k, SQLITE_VEC_MAX_K);
    const { rows } = await sql<{ chunk_id: number | bigint; distance: number }>`
      select chunk_id, distance from ${sql.table(tableOf(query.length))}
      where embedding match ${bytesOf(query)} and k = ${limit} and space = ${space}
      order by distance`.execute(this.#db);
    // Cosine distance is 1 − cosine; the exact search scores by the cosine itself.
    return rows.map((r) => ({ chunk_id: Number(r.chunk_id), score: 1 - r.distance }));
  }
}
