import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * The list routes filter on these columns (`/orders?status=paid&created_after=…`, `/customers?country=DE`,
 * `/products?category=…`, `/documents?created_after=…`). Each index ends with `id`, the tie-breaker of every
 * list's order, so a filtered page with the default sort is one index range scan on both dialects.
 */
const INDEXES: [name: string, table: string, columns: string[]][] = [
  ['orders_status_id_idx', 'orders', ['status', 'id']],
  ['orders_created_at_id_idx', 'orders', ['created_at', 'id']],
  ['customers_country_id_idx', 'customers', ['country', 'id']],
  ['customers_created_at_id_idx', 'customers', ['created_at', 'id']],
  ['products_category_id_idx', 'products', ['category', 'id']],
  ['products_created_at_id_idx', 'products', ['created_at', 'id']],
  ['documents_created_at_id_idx', 'documents', ['created_at', 'id']],
];

export function listFilterIndexes(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const [name, table, columns] of INDEXES) await db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute();
    },
    async down(db: Kysely<unknown>) {
      for (const [name] of INDEXES) await db.schema.dropIndex(name).ifExists().execute();
    },
  };
}
