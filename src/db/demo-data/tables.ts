import type { CopyValue } from '../batch/index.ts';

/** Column order of the rows the generator emits; loaders insert/COPY in exactly this order. */
export const DEMO_COLUMNS = {
  customers: ['id', 'code', 'name', 'email', 'country', 'city', 'segment', 'credit_limit_cents', 'payment_terms_days', 'created_at', 'updated_at'],
  products: ['id', 'sku', 'name', 'category', 'unit_cost_cents', 'unit_price_cents', 'active', 'created_at', 'updated_at'],
  orders: ['id', 'order_no', 'customer_id', 'order_date', 'status', 'currency', 'total_cents', 'cost_cents', 'notes', 'created_at', 'updated_at'],
  order_lines: ['id', 'order_id', 'line_no', 'product_id', 'quantity', 'unit_price_cents', 'unit_cost_cents', 'discount_bp', 'line_total_cents'],
  invoices: ['id', 'invoice_no', 'order_id', 'customer_id', 'issue_date', 'due_date', 'total_cents', 'status', 'created_at'],
  payments: ['id', 'invoice_id', 'paid_on', 'amount_cents', 'method', 'created_at'],
  ledger_entries: ['id', 'entry_date', 'account_code', 'debit_cents', 'credit_cents', 'reference', 'description', 'created_at'],
} as const;

export type DemoTable = keyof typeof DEMO_COLUMNS;
export const DEMO_TABLES = Object.keys(DEMO_COLUMNS) as DemoTable[];
export type DemoValue = CopyValue;
export type DemoRow = DemoValue[];

/** One unit of work: rows for several tables, in foreign-key order, plus how far the orders got. */
export interface DemoChunk {
  phase: 'customers' | 'products' | 'orders' | 'expenses';
  tables: { table: DemoTable; rows: DemoRow[] }[];
  ordersDone: number;
}

/** First id to use per table (1 on an empty database, max(id)+1 when appending). */
export type IdStart = Record<DemoTable, number>;
