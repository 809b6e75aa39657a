import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import { sql } from 'kysely';
import type { DialectName } from '../db.ts';
import { columnTypes, oneOf, withTimestamps } from './column-types.ts';

/**
 * ERP tables. Indexes cover keys, foreign keys and the API's lookups only; analytics indexes
 * (order_date, ledger dates/accounts, …) are left to the index advisor, which proves their worth.
 */
export function erpTables(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await withTimestamps(db.schema.createTable('customers'), t)
        .addColumn('id', 'integer', t.id)
        .addColumn('code', 'text', (col) => col.notNull().unique())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('email', 'text', (col) => col.unique())
        .addColumn('country', 'text', (col) => col.notNull())
        .addColumn('city', 'text')
        .addColumn('segment', 'text', (col) => col.notNull())
        .addColumn('credit_limit_cents', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('payment_terms_days', 'integer', (col) => col.notNull().defaultTo(30))
        .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
        .addCheckConstraint('customers_amounts_check', sql`credit_limit_cents >= 0 and payment_terms_days between 0 and 365`)
        .execute();

      await withTimestamps(db.schema.createTable('products'), t)
        .addColumn('id', 'integer', t.id)
        .addColumn('sku', 'text', (col) => col.notNull().unique())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('category', 'text', (col) => col.notNull())
        .addColumn('unit_cost_cents', 'bigint', (col) => col.notNull())
        .addColumn('unit_price_cents', 'bigint', (col) => col.notNull())
        .addColumn('active', 'integer', (col) => col.notNull().defaultTo(1))
        .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
        .addCheckConstraint('products_amounts_check', sql`unit_cost_cents >= 0 and unit_price_cents >= 0 and active in (0, 1)`)
        .execute();

      await withTimestamps(db.schema.createTable('orders'), t)
        .addColumn('id', 'integer', t.id)
        .addColumn('order_no', 'text', (col) => col.notNull().unique())
        .addColumn('customer_id', 'integer', (col) => col.notNull().references('customers.id'))
        .addColumn('order_date', t.date, (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull().defaultTo('draft'))
        .addColumn('currency', 'text', (col) => col.notNull().defaultTo('EUR'))
        .addColumn('total_cents', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('cost_cents', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('notes', 'text')
        .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
        .addCheckConstraint('orders_status_check', oneOf('status', ['draft', 'confirmed', 'shipped', 'invoiced', 'paid', 'cancelled']))
        .addCheckConstraint('orders_amounts_check', sql`total_cents >= 0 and cost_cents >= 0 and length(currency) = 3`)
        .execute();
      await db.schema.createIndex('orders_customer_id_idx').on('orders').column('customer_id').execute();

      await db.schema
        .createTable('order_lines')
        .addColumn('id', 'integer', t.id)
        .addColumn('order_id', 'integer', (col) => col.notNull().references('orders.id').onDelete('cascade'))
        .addColumn('line_no', 'integer', (col) => col.notNull())
        .addColumn('product_id', 'integer', (col) => col.notNull().references('products.id'))
        .addColumn('quantity', 'integer', (col) => col.notNull())
        .addColumn('unit_price_cents', 'bigint', (col) => col.notNull())
        .addColumn('unit_cost_cents', 'bigint', (col) => col.notNull())
        .addColumn('discount_bp', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('line_total_cents', 'bigint', (col) => col.notNull())
        .addUniqueConstraint('order_lines_order_line_key', ['order_id', 'line_no'])
        .addCheckConstraint(
          'order_lines_amounts_check',
          sql`quantity > 0 and line_no > 0 and unit_price_cents >= 0 and unit_cost_cents >= 0 and line_total_cents >= 0 and discount_bp between 0 and 10000`,
        )
        .execute();
      await db.schema.createIndex('order_lines_product_id_idx').on('order_lines').column('product_id').execute();

      await db.schema
        .createTable('invoices')
        .addColumn('id', 'integer', t.id)
        .addColumn('invoice_no', 'text', (col) => col.notNull().unique())
        .addColumn('order_id', 'integer', (col) => col.notNull().references('orders.id'))
        .addColumn('customer_id', 'integer', (col) => col.notNull().references('customers.id'))
        .addColumn('issue_date', t.date, (col) => col.notNull())
        .addColumn('due_date', t.date, (col) => col.notNull())
        .addColumn('total_cents', 'bigint', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull().defaultTo('open'))
        .addColumn('created_at', t.timestamp, (col) => col.notNull().defaultTo(t.now))
        .addCheckConstraint('invoices_status_check', oneOf('status', ['open', 'paid', 'void']))
        .addCheckConstraint('invoices_amounts_check', sql`total_cents >= 0 and due_date >= issue_date`)
        .execute();
      await db.schema.createIndex('invoices_order_id_idx').on('invoices').column('order_id').execute();
      await db.schema.createIndex('invoices_customer_id_idx').on('invoices').column('customer_id').execute();

      await db.schema
        .createTable('payments')
        .addColumn('id', 'integer', t.id)
        .addColumn('invoice_id', 'integer', (col) => col.notNull().references('invoices.id'))
        .addColumn('paid_on', t.date, (col) => col.notNull())
        .addColumn('amount_cents', 'bigint', (col) => col.notNull())
        .addColumn('method', 'text', (col) => col.notNull())
        .addColumn('created_at', t.timestamp, (col) => col.notNull().defaultTo(t.now))
        .addCheckConstraint('payments_amount_check', sql`amount_cents > 0`)
        .execute();
      await db.schema.createIndex('payments_invoice_id_idx').on('payments').column('invoice_id').execute();

      await db.schema
        .createTable('accounts')
        .addColumn('code', 'text', (col) => col.primaryKey())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('type', 'text', (col) => col.notNull())
        .addCheckConstraint('accounts_type_check', oneOf('type', ['asset', 'liability', 'equity', 'revenue', 'cogs', 'expense']))
        .execute();

      await db.schema
        .createTable('ledger_entries')
        .addColumn('id', 'integer', t.id)
        .addColumn('entry_date', t.date, (col) => col.notNull())
        .addColumn('account_code', 'text', (col) => col.notNull().references('accounts.code'))
        .addColumn('debit_cents', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('credit_cents', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('reference', 'text', (col) => col.notNull())
        .addColumn('description', 'text')
        .addColumn('created_at', t.timestamp, (col) => col.notNull().defaultTo(t.now))
        // One side per entry keeps "sum of debits = sum of credits" a meaningful check.
        .addCheckConstraint('ledger_entries_one_side_check', sql`(debit_cents > 0 and credit_cents = 0) or (debit_cents = 0 and credit_cents > 0)`)
        .execute();

      await db
        .insertInto('accounts' as never)
        .values(CHART_OF_ACCOUNTS)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['ledger_entries', 'accounts', 'payments', 'invoices', 'order_lines', 'orders', 'products', 'customers']) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}

/** The seeded chart of accounts; demo data and the income statement use these codes. */
export const CHART_OF_ACCOUNTS = [
  { code: '1000', name: 'Cash and bank', type: 'asset' },
  { code: '1100', name: 'Accounts receivable', type: 'asset' },
  { code: '1200', name: 'Inventory', type: 'asset' },
  { code: '2000', name: 'Accounts payable', type: 'liability' },
  { code: '3000', name: 'Owner equity', type: 'equity' },
  { code: '4000', name: 'Sales revenue', type: 'revenue' },
  { code: '5000', name: 'Cost of goods sold', type: 'cogs' },
  { code: '6100', name: 'Salaries and wages', type: 'expense' },
  { code: '6200', name: 'Rent', type: 'expense' },
  { code: '6300', name: 'Marketing', type: 'expense' },
  { code: '6400', name: 'Utilities', type: 'expense' },
  { code: '6500', name: 'Software and IT', type: 'expense' },
  { code: '6600', name: 'Travel', type: 'expense' },
] as const;

/** Account codes by role, so code never hard-codes '1100' and friends. */
export const ACCOUNTS = {
  cash: '1000',
  receivables: '1100',
  inventory: '1200',
  payables: '2000',
  equity: '3000',
  revenue: '4000',
  cogs: '5000',
} as const;
