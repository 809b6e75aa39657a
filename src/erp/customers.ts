import type { Kysely } from 'kysely';
import { Type, type Static } from 'typebox';
import { CUSTOMER_SEGMENTS } from '../db/index.ts';
import type { DatabaseSchema } from '../db/schema.ts';
import { createdBetween, patchOf, stringEnum, tableRepository, versionedItem, type RepositoryOptions, type ResourceSpec } from '../resources/index.ts';

const fields = {
  code: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$', description: 'Unique customer code' }),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  email: Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()]),
  country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }),
  city: Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()]),
  segment: stringEnum(CUSTOMER_SEGMENTS),
  credit_limit_cents: Type.Integer({ minimum: 0, maximum: 1e12 }),
  payment_terms_days: Type.Integer({ minimum: 0, maximum: 365 }),
};

export const CustomerCreate = Type.Object(
  {
    code: fields.code,
    name: fields.name,
    email: Type.Optional(fields.email),
    country: fields.country,
    city: Type.Optional(fields.city),
    segment: Type.Optional(fields.segment),
    credit_limit_cents: Type.Optional(fields.credit_limit_cents),
    payment_terms_days: Type.Optional(fields.payment_terms_days),
  },
  { additionalProperties: false },
);
export const CustomerPatch = patchOf(fields, ['code']);
export const Customer = versionedItem(fields);
export type CustomerCreate = Static<typeof CustomerCreate>;
export type CustomerPatch = Static<typeof CustomerPatch>;
export type Customer = Static<typeof Customer>;

/** A new customer's columns, defaults filled in (the API and the external sync write the same row). */
export function customerColumns(c: CustomerCreate) {
  return {
    code: c.code,
    name: c.name,
    email: c.email ?? null,
    country: c.country,
    city: c.city ?? null,
    segment: c.segment ?? 'smb',
    credit_limit_cents: c.credit_limit_cents ?? 0,
    payment_terms_days: c.payment_terms_days ?? 30,
  };
}

export function customerResource(db: Kysely<DatabaseSchema>, options: RepositoryOptions = {}): ResourceSpec<CustomerCreate, CustomerPatch, Customer> {
  return {
    path: '/customers',
    name: 'Customer',
    createSchema: CustomerCreate,
    patchSchema: CustomerPatch,
    itemSchema: Customer,
    repository: tableRepository(
      db,
      {
        table: 'customers',
        toInsert: customerColumns,
        toUpdate: (p) => ({ ...p }),
        fromRow: (row) => row as Customer,
      },
      options,
    ),
    sortColumns: { id: 'id', code: 'code', name: 'name', created_at: 'created_at' },
    filters: {
      country: { column: 'country', op: '=', schema: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }) },
      code: { column: 'code', op: '=', schema: Type.String({ minLength: 1, maxLength: 64 }) },
      ...createdBetween(),
    },
  };
}
