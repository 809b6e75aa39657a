import type { Kysely } from 'kysely';
import { Type, type Static } from 'typebox';
import type { DatabaseSchema } from '../db/schema.ts';
import { createdBetween, patchOf, tableRepository, versionedItem, type RepositoryOptions, type ResourceSpec } from '../resources/index.ts';

const money = Type.Integer({ minimum: 0, maximum: 1e12, description: 'Minor currency units (cents)' });
const fields = {
  sku: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  category: Type.String({ minLength: 1, maxLength: 100 }),
  unit_cost_cents: money,
  unit_price_cents: money,
  active: Type.Boolean(),
};

export const ProductCreate = Type.Object(
  {
    sku: fields.sku,
    name: fields.name,
    category: fields.category,
    unit_cost_cents: fields.unit_cost_cents,
    unit_price_cents: fields.unit_price_cents,
    active: Type.Optional(fields.active),
  },
  { additionalProperties: false },
);
export const ProductPatch = patchOf(fields, ['sku']);
export const Product = versionedItem(fields);
export type ProductCreate = Static<typeof ProductCreate>;
export type ProductPatch = Static<typeof ProductPatch>;
export type Product = Static<typeof Product>;

/** A new product's columns (the API and the external sync write the same row). */
export function productColumns(p: ProductCreate) {
  return { ...p, active: p.active === false ? 0 : 1 };
}

export function productResource(db: Kysely<DatabaseSchema>, options: RepositoryOptions = {}): ResourceSpec<ProductCreate, ProductPatch, Product> {
  return {
    path: '/products',
    name: 'Product',
    createSchema: ProductCreate,
    patchSchema: ProductPatch,
    itemSchema: Product,
    repository: tableRepository(
      db,
      {
        table: 'products',
        toInsert: productColumns,
        // SQLite has no boolean type: both dialects store 0/1 so one query code reads them.
        toUpdate: (p) => (p.active === undefined ? { ...p } : { ...p, active: p.active ? 1 : 0 }),
        fromRow: (row) => ({ ...row, active: Boolean(row.active) }) as Product,
      },
      options,
    ),
    sortColumns: { id: 'id', sku: 'sku', name: 'name', category: 'category', unit_price_cents: 'unit_price_cents' },
    filters: {
      category: { column: 'category', op: '=', schema: Type.String({ minLength: 1, maxLength: 100 }) },
      sku: { column: 'sku', op: '=', schema: Type.String({ minLength: 1, maxLength: 64 }) },
      ...createdBetween(),
    },
  };
}
