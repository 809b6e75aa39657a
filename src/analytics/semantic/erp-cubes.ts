import { sql } from 'kysely';
import type { Cube, Dimension, Join, Measure } from './types.ts';

/** Money is stored in cents: sums divided by 100, shown as currency. */
const money = (title: string, expression: ReturnType<typeof sql>, extra: Partial<Measure> = {}): Measure =>
  ({ title, agg: 'sum', sql: expression, divisor: 100, format: 'currency', ...extra }) as Measure;
const count = (title: string, extra: Partial<Measure> = {}): Measure => ({ title, agg: 'count', format: 'integer', ...extra }) as Measure;
const marginPct = (title: string): Measure => ({ title, agg: 'ratio', numerator: 'margin', denominator: 'revenue', multiplier: 100, format: 'percent' });

const customerJoin = (on: string, dependsOn?: string[]): Join => ({
  table: sql`customers as c`,
  on: sql`c.id = ${sql.ref(on)}`,
  ...(dependsOn ? { dependsOn } : {}),
});
/** The customer's fields, the same in every cube that reaches a customer (through the `customer` join). */
const customerDimensions = (...names: ('customer' | 'country' | 'region' | 'city' | 'segment')[]): Record<string, Dimension> => {
  const all: Record<string, Dimension> = {
    customer: { type: 'string', title: 'Customer', sql: sql`c.name`, joins: ['customer'] },
    country: { type: 'string', title: 'Country (region)', sql: sql`c.country`, joins: ['customer'] },
    region: { type: 'string', title: 'Region', sql: sql`c.country`, joins: ['customer'] },
    city: { type: 'string', title: 'City', sql: sql`c.city`, joins: ['customer'] },
    segment: { type: 'string', title: 'Customer segment', sql: sql`c.segment`, joins: ['customer'] },
  };
  return Object.fromEntries(names.map((n) => [n, all[n]!]));
};
/** Named filters on an order's status (alias `o`), shared by the sales and orders cubes. */
const ORDER_SEGMENTS: Cube['segments'] = {
  completed: { title: 'Invoiced or paid', sql: sql`o.status in ('invoiced', 'paid')` },
  not_cancelled: { title: 'Not cancelled', sql: sql`o.status <> 'cancelled'` },
};
/** Dimensions with one value per order: distinct order (and customer) counts add up across them. */
const PER_ORDER = ['order_date', 'created_at', 'status', 'currency', 'customer', 'country', 'region', 'city', 'segment'];
const PER_CUSTOMER = ['customer', 'country', 'region', 'city', 'segment'];

/** Order lines with their order, customer and product: revenue, cost and margin by anything. */
const sales: Cube = {
  name: 'sales',
  title: 'Sales (order lines)',
  from: sql`order_lines as l`,
  baseJoins: ['order'],
  joins: {
    order: { table: sql`orders as o`, on: sql`o.id = l.order_id` },
    customer: customerJoin('o.customer_id', ['order']),
    product: { table: sql`products as p`, on: sql`p.id = l.product_id` },
  },
  dimensions: {
    order_date: { type: 'date', title: 'Order date', sql: sql`o.order_date` },
    status: { type: 'string', title: 'Order status', sql: sql`o.status` },
    currency: { type: 'string', title: 'Currency', sql: sql`o.currency` },
    ...customerDimensions('customer', 'country', 'region', 'city', 'segment'),
    category: { type: 'string', title: 'Product category', sql: sql`p.category`, joins: ['product'] },
    product: { type: 'string', title: 'Product', sql: sql`p.name`, joins: ['product'] },
    sku: { type: 'string', title: 'SKU', sql: sql`p.sku`, joins: ['product'] },
    quantity_per_line: { type: 'number', title: 'Quantity per line', sql: sql`l.quantity` },
  },
  measures: {
    revenue: money('Revenue', sql`l.line_total_cents`),
    cost: money('Cost of goods sold', sql`l.quantity * l.unit_cost_cents`),
    margin: money('Gross margin', sql`l.line_total_cents - l.quantity * l.unit_cost_cents`),
    margin_pct: marginPct('Gross margin %'),
    quantity: { title: 'Units', agg: 'sum', sql: sql`l.quantity`, format: 'integer' },
    lines: count('Order lines'),
    orders: { title: 'Orders', agg: 'count_distinct', sql: sql`l.order_id`, format: 'integer', determines: PER_ORDER },
    customers: { title: 'Customers', agg: 'count_distinct', sql: sql`o.customer_id`, format: 'integer', determines: PER_CUSTOMER },
    avg_order_value: { title: 'Average order value', agg: 'ratio', numerator: 'revenue', denominator: 'orders', format: 'currency' },
    avg_unit_price: { title: 'Average unit price', agg: 'avg', sql: sql`l.unit_price_cents`, divisor: 100, format: 'currency' },
    max_line: { title: 'Largest line', agg: 'max', sql: sql`l.line_total_cents`, divisor: 100, format: 'currency' },
    min_line: { title: 'Smallest line', agg: 'min', sql: sql`l.line_total_cents`, divisor: 100, format: 'currency' },
    paid_revenue: money('Paid revenue', sql`l.line_total_cents`, { filter: sql`o.status = 'paid'` }),
    discounted_lines: count('Discounted lines', { filter: sql`l.discount_bp > 0` }),
  },
  segments: ORDER_SEGMENTS,
  defaultTime: 'order_date',
};

const orders: Cube = {
  name: 'orders',
  title: 'Orders',
  from: sql`orders as o`,
  joins: { customer: customerJoin('o.customer_id') },
  dimensions: {
    order_date: { type: 'date', title: 'Order date', sql: sql`o.order_date` },
    created_at: { type: 'timestamp', title: 'Created at', sql: sql`o.created_at` },
    status: { type: 'string', title: 'Status', sql: sql`o.status` },
    ...customerDimensions('customer', 'country', 'segment'),
  },
  measures: {
    count: count('Orders'),
    revenue: money('Revenue', sql`o.total_cents`),
    cost: money('Cost', sql`o.cost_cents`),
    margin: money('Margin', sql`o.total_cents - o.cost_cents`),
    margin_pct: marginPct('Margin %'),
    avg_order_value: { title: 'Average order value', agg: 'avg', sql: sql`o.total_cents`, divisor: 100, format: 'currency' },
    customers: { title: 'Customers', agg: 'count_distinct', sql: sql`o.customer_id`, format: 'integer', determines: PER_CUSTOMER },
    cancelled: count('Cancelled orders', { filter: sql`o.status = 'cancelled'` }),
    cancel_rate: { title: 'Cancellation rate %', agg: 'ratio', numerator: 'cancelled', denominator: 'count', multiplier: 100, format: 'percent' },
  },
  segments: ORDER_SEGMENTS,
  defaultTime: 'order_date',
};

const invoices: Cube = {
  name: 'invoices',
  title: 'Invoices',
  from: sql`invoices as i`,
  joins: { customer: customerJoin('i.customer_id') },
  dimensions: {
    issue_date: { type: 'date', title: 'Issue date', sql: sql`i.issue_date` },
    due_date: { type: 'date', title: 'Due date', sql: sql`i.due_date` },
    status: { type: 'string', title: 'Status', sql: sql`i.status` },
    ...customerDimensions('customer', 'country'),
  },
  measures: {
    count: count('Invoices'),
    amount: money('Invoiced', sql`i.total_cents`),
    open_amount: money('Open (unpaid invoices)', sql`i.total_cents`, { filter: sql`i.status = 'open'` }),
  },
  segments: { open: { title: 'Open', sql: sql`i.status = 'open'` } },
  defaultTime: 'issue_date',
};

const payments: Cube = {
  name: 'payments',
  title: 'Payments received',
  from: sql`payments as y`,
  baseJoins: ['invoice'],
  joins: {
    invoice: { table: sql`invoices as i`, on: sql`i.id = y.invoice_id` },
    customer: customerJoin('i.customer_id', ['invoice']),
  },
  dimensions: {
    paid_on: { type: 'date', title: 'Paid on', sql: sql`y.paid_on` },
    method: { type: 'string', title: 'Method', sql: sql`y.method` },
    ...customerDimensions('customer', 'country'),
  },
  measures: {
    count: count('Payments'),
    amount: money('Cash received', sql`y.amount_cents`),
  },
  segments: {},
  defaultTime: 'paid_on',
};

const ledger: Cube = {
  name: 'ledger',
  title: 'General ledger',
  from: sql`ledger_entries as e`,
  baseJoins: ['account'],
  joins: { account: { table: sql`accounts as a`, on: sql`a.code = e.account_code` } },
  dimensions: {
    entry_date: { type: 'date', title: 'Entry date', sql: sql`e.entry_date` },
    account: { type: 'string', title: 'Account', sql: sql`e.account_code` },
    account_name: { type: 'string', title: 'Account name', sql: sql`a.name` },
    account_type: { type: 'string', title: 'Account type', sql: sql`a.type` },
  },
  measures: {
    entries: count('Entries'),
    debit: money('Debit', sql`e.debit_cents`),
    credit: money('Credit', sql`e.credit_cents`),
    /** Debit minus credit: the balance change of asset and expense accounts. */
    net: money('Debit − credit', sql`e.debit_cents - e.credit_cents`),
  },
  segments: {},
  defaultTime: 'entry_date',
};

/** The ERP tables described once; reports, pivots and forecasts pick fields from these. */
export const ERP_CUBES: Readonly<Record<string, Cube>> = { sales, orders, invoices, payments, ledger };
