import type { Kysely } from 'kysely';
import type { QueryCache } from '../db/index.ts';
import type { DatabaseSchema } from '../db/schema.ts';
import type { Repository, Versioned } from './crud.ts';
import { listPage } from './list-page.ts';

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
  /** Soft delete: rows whose column is set are invisible to every operation (documents' `deleted_at`). */
  hiddenWhenSet?: string;
}

export interface RepositoryOptions {
  /** Caches list totals; writes through the same Db invalidate them. */
  queryCache?: QueryCache | undefined;
}

/**
 * A Repository over one versioned table. Kysely's types cannot follow a table name chosen at run time,
 * so this module alone views the schema loosely; the mappings keep the typed boundary.
 */
export function tableRepository<TCreate, TPatch, TOut extends Versioned>(
  typedDb: Kysely<DatabaseSchema>,
  mapping: TableMapping<TCreate, TPatch, TOut>,
  options: RepositoryOptions = {},
): Repository<TCreate, TPatch, TOut> {
  return bind(typedDb as unknown as Kysely<LooseSchema>, mapping, options);
}

/** The repository over one executor: the Db, or a transaction (a Kysely Transaction is a Kysely). */
function bind<TCreate, TPatch, TOut extends Versioned>(
  db: Kysely<LooseSchema>,
  mapping: TableMapping<TCreate, TPatch, TOut>,
  options: RepositoryOptions,
): Repository<TCreate, TPatch, TOut> {
  const table = mapping.table;
  const now = () => new Date().toISOString();
  const hidden = mapping.hiddenWhenSet;
  // Kysely cannot type a column chosen at run time; the mapping names a real nullable column.
  const visible = <Q extends { where(column: never, op: 'is', value: null): Q }>(query: Q): Q => (hidden ? query.where(hidden as never, 'is', null) : query);

  const repository: Repository<TCreate, TPatch, TOut> = {
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
      const row = await visible(db.selectFrom(table).selectAll().where('id', '=', id)).executeTakeFirst();
      return row ? mapping.fromRow(row) : undefined;
    },

    async version(id) {
      const row = await visible(db.selectFrom(table).select('version').where('id', '=', id)).executeTakeFirst();
      return row?.version;
    },

    async update(id, patch, expectedVersion) {
      let query = db
        .updateTable(table)
        .set((eb) => ({ ...mapping.toUpdate(patch), updated_at: now(), version: eb('version', '+', 1) }))
        .where('id', '=', id);
      query = visible(query);
      if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
      const row = await query.returningAll().executeTakeFirst();
      return row ? mapping.fromRow(row) : undefined;
    },

    async delete(id, expectedVersion) {
      let query = visible(db.deleteFrom(table).where('id', '=', id));
      if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    list(request) {
      const source = {
        rows: visible(db.selectFrom(table).selectAll()),
        count: visible(db.selectFrom(table).select((eb) => eb.fn.countAll().as('total'))),
        // Inside a transaction the count may include uncommitted rows: never cache it there.
        queryCache: db.isTransaction ? undefined : options.queryCache,
      };
      return listPage(source, request, (row) => mapping.fromRow(row));
    },

    transaction(work) {
      if (db.isTransaction) return work(repository);
      return db.transaction().execute((trx) => work(bind(trx, mapping, options)));
    },
  };
  return repository;
}
