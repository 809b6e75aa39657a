import { sql } from 'kysely';
import type { Cube, Measure } from './types.ts';

const customerJoin = (on: string) => ({ sql: sql`join customers as c on c.id = ${sql.ref(on)}` });
const money = (title: string, expression: ReturnType<typeof sql>, extra: Partial<Measure> = {}): Measure => ({ title, agg: 'sum', sql: expression, divisor: 100, format: 'currency', ...extra }) as Measure;

/** Order lines with their order, customer and product: revenue, cost and margin by anything. */
const sales: Cube = {
  name: 'sales',
  title: 'Sales (order lines)',
  from: sql`order_lines as l join orders as o on o.id = l.order_id`,
  joins: {
    customer: customerJoin('o.customer_id'),
    product: { sql: sql`join products as p on p.id = l.product_id` },
  },
  dimensions: {
    order_date: { type: 'date', title: 'Order date', sql: sql`o.order_date` },
    status: { type: 'string', title: 'Order status', sql: sql`o.status` },
    currency: { type: 'string', title: 'Currency', sql: sql`o.currency` },
    customer: { type: 'string', title: 'Customer', sql: sql`c.name`, joins: ['customer'] },
    country: { type: 'string', title: 'Country (region)', sql: sql`c.country`, joins: ['customer'] },
    region: { type: 'string', title: 'Region', sql: sql`c.country`, joins: ['customer'] },
    city: { type: 'string', title: 'City', sql: sql`c.city`, joins: ['customer'] },
    segment: { type: 'string', title: 'Customer segment', sql: sql`c.segment`, joins: ['customer'] },
    category: { type: 'string', title: 'Product category', sql: sql`p.category`, joins: ['product'] },
    product: { type: 'string', title: 'Product', sql: sql`p.name`, joins: ['product'] },
    sku: { type: 'string', title: 'SKU', sql: sql`p.sku`, joins: ['product'] },
    quantity_per_line: { type: 'number', title: 'Quantity per line', sql: sql`l.quantity` },
  },
  measures: {
    revenue: money('Revenue', sql`l.line_total_cents`),
    cost: money('Cost of goods sold', sql`l.quantity * l.unit_cost_cents`),
    margin: money('Gross margin', sql`l.line_total_cents - l.quantity * l.unit_cost_cents`),
    margin_pct: { title: 'Gross margin %', agg: 'ratio', numerator: 'margin', denominator: 'revenue', multiplier: 100, format: 'percent' },
    quantity: { title: 'Units', agg: 'sum', sql: sql`l.quantity`, format: 'integer' },
    lines: { title: 'Order lines', agg: 'count', format: 'integer' },
    orders: { title: 'Orders', agg: 'count_distinct', sql: sql`l.order_id`, format: 'integer' },
    customers: { title: 'Customers', agg: 'count_distinct', sql: sql`o.customer_id`, format: 'integer' },
    avg_order_value: { title: 'Average order value', agg: 'ratio', numerator: 'revenue', denominator: 'orders', format: 'currency' },
    avg_unit_price: { title: 'Average unit price', agg: 'avg', sql: sql`l.unit_price_cents`, divisor: 100, format: 'currency' },
    max_line: { title: 'Largest line', agg: 'max', sql: sql`l.line_total_cents`, divisor: 100, format: 'currency' },
    min_line: { title: 'Smallest line', agg: 'min', sql: sql`l.line_total_cents`, divisor: 100, format: 'currency' },
    paid_revenue: money('Paid revenue', sql`l.line_total_cents`, { filter: sql`o.status = 'paid'` }),
    discounted_lines: { title: 'Discounted lines', agg: 'count', filter: sql`l.discount_bp > 0`, format: 'integer' },
  },
  segments: {
    completed: { title: 'Invoiced or paid', sql: sql`o.status in ('invoiced', 'paid')` },
    not_cancelled: { title: 'Not cancelled', sql: sql`o.status <> 'cancelled'` },
  },
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
    customer: { type: 'string', title: 'Customer', sql: sql`c.name`, joins: ['customer'] },
    country: { type: 'string', title: 'Country (region)', sql: sql`c.country`, joins: ['customer'] },
    segment: { type: 'string', title: 'Customer segment', sql: sql`c.segment`, joins: ['customer'] },
  },
  measures: {
    count: { title: 'Orders', agg: 'count', format: 'integer' },
    revenue: money('Revenue', sql`o.total_cents`),
    cost: money('Cost', sql`o.cost_cents`),
    margin: money('Margin', sql`o.total_cents - o.cost_cents`),
    margin_pct: { title: 'Margin %', agg: 'ratio', numerator: 'margin', denominator: 'revenue', multiplier: 100, format: 'percent' },
    avg_order_value: { title: 'Average order value', agg: 'avg', sql: sql`o.total_cents`, divisor: 100, format: 'currency' },
    customers: { title: 'Customers', agg: 'count_distinct', sql: sql`o.customer_id`, format: 'integer' },
    cancelled: { title: 'Cancelled orders', agg: 'count', filter: sql`o.status = 'cancelled'`, format: 'integer' },
    cancel_rate: { title: 'Cancellation rate %', agg: 'ratio', numerator: 'cancelled', denominator: 'count', multiplier: 100, format: 'percent' },
  },
  segments: {
    completed: { title: 'Invoiced or paid', sql: sql`o.status in ('invoiced', 'paid')` },
    not_cancelled: { title: 'Not cancelled', sql: sql`o.status <> 'cancelled'` },
  },
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
    customer: { type: 'string', title: 'Customer', sql: sql`c.name`, joins: ['customer'] },
    country: { type: 'string', title: 'Country (region)', sql: sql`c.country`, joins: ['customer'] },
  },
  measures: {
    count: { title: 'Invoices', agg: 'count', format: 'integer' },
    amount: money('Invoiced', sql`i.total_cents`),
    open_amount: money('Open (unpaid invoices)', sql`i.total_cents`, { filter: sql`i.status = 'open'` }),
  },
  segments: { open: { title: 'Open', sql: sql`i.status = 'open'` } },
  defaultTime: 'issue_date',
};

const payments: Cube = {
  name: 'payments',
  title: 'Payments received',
  from: sql`payments as y join invoices as i on i.id = y.invoice_id`,
  joins: { customer: customerJoin('i.customer_id') },
  dimensions: {
    paid_on: { type: 'date', title: 'Paid on', sql: sql`y.paid_on` },
    method: { type: 'string', title: 'Method', sql: sql`y.method` },
    customer: { type: 'string', title: 'Customer', sql: sql`c.name`, joins: ['customer'] },
    country: { type: 'string', title: 'Country (region)', sql: sql`c.country`, joins: ['customer'] },
  },
  measures: {
    count: { title: 'Payments', agg: 'count', format: 'integer' },
    amount: money('Cash received', sql`y.amount_cents`),
  },
  segments: {},
  defaultTime: 'paid_on',
};

const ledger: Cube = {
  name: 'ledger',
  title: 'General ledger',
  from: sql`ledger_entries as e join accounts as a on a.code = e.account_code`,
  joins: {},
  dimensions: {
    entry_date: { type: 'date', title: 'Entry date', sql: sql`e.entry_date` },
    account: { type: 'string', title: 'Account', sql: sql`e.account_code` },
    account_name: { type: 'string', title: 'Account name', sql: sql`a.name` },
    account_type: { type: 'string', title: 'Account type', sql: sql`a.type` },
  },
  measures: {
    entries: { title: 'Entries', agg: 'count', format: 'integer' },
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
