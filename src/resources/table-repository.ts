import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/schema.ts';
import type { ListQuery, Page, Repository, Versioned } from './crud.ts';

/** Tables whose rows carry id, version and timestamps, so one repository shape serves them all. */
export type VersionedTable = 'customers' | 'products' | 'documents';

type LooseRow = { id: number; version: number; created_at: string; updated_at: string } & Record<string, unknown>;
type LooseSchema = Record<VersionedTable, LooseRow>;

export interface TableMapping<TCreate, TPatch, TOut extends Versioned> {
  table: VersionedTable;
  /** Input → column values for INSERT (timestamps and version are added here). */
  toInsert(input: TCreate): Record<string, unknown>;
  /** Partial input → column values for UPDATE; only the fields present. */
  toUpdate(patch: TPatch): Record<string, unknown>;
  fromRow(row: Record<string, unknown>): TOut;
  /** API sort key → column. */
  sortColumns: Record<string, string>;
}

/**
 * A Repository over one versioned table. Kysely's types cannot follow a table name chosen at run time,
 * so this module alone views the schema loosely; the mappings keep the typed boundary.
 */
export function tableRepository<TCreate, TPatch, TOut extends Versioned>(
  typedDb: Kysely<DatabaseSchema>,
  mapping: TableMapping<TCreate, TPatch, TOut>,
): Repository<TCreate, TPatch, TOut> {
  const db = typedDb as unknown as Kysely<LooseSchema>;
  const table = mapping.table;
  const now = () => new Date().toISOString();

  return {
    async create(input) {
      const stamp = now();
      const row = await db
        .insertInto(table)
        .values({ ...mapping.toInsert(input), created_at: stamp, updated_at: stamp })
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapping.fromRow(row);
    },

    async get(id) {
      const row = await db.selectFrom(table).selectAll().where('id', '=', id).executeTakeFirst();
      return row ? mapping.fromRow(row) : undefined;
    },

    async update(id, patch, expectedVersion) {
      let query = db
        .updateTable(table)
        .set((eb) => ({ ...mapping.toUpdate(patch), updated_at: now(), version: eb('version', '+', 1) }))
        .where('id', '=', id);
      if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
      const row = await query.returningAll().executeTakeFirst();
      return row ? mapping.fromRow(row) : undefined;
    },

    async delete(id, expectedVersion) {
      let query = db.deleteFrom(table).where('id', '=', id);
      if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async list(q: ListQuery): Promise<Page<TOut>> {
      const column = mapping.sortColumns[q.sort] ?? 'id';
      const [rows, count] = await Promise.all([
        db
          .selectFrom(table)
          .selectAll()
          .orderBy(sql.ref(column), q.order)
          .orderBy('id', q.order)
          .limit(q.pageSize)
          .offset((q.page - 1) * q.pageSize)
          .execute(),
        db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
      ]);
      return { items: rows.map((r) => mapping.fromRow(r)), total: Number(count.total) };
    },
  };
}
