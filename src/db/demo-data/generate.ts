import { ACCOUNTS } from '../migrations/index.ts';
import { Calendar } from './calendar.ts';
import { MONTHLY_EXPENSES, PAYMENT_METHODS } from './catalog.ts';
import { makeCustomers, makeProducts, type CustomerInfo, type ProductInfo } from './master-data.ts';
import { SeededRandom } from './random.ts';
import type { DemoChunk, DemoRow, IdStart } from './tables.ts';

export interface GenerateOptions {
  orders: number;
  seed: number;
  /** Last business day of the generated history ('YYYY-MM-DD'); fixed by default so output never depends on today. */
  endDate: string;
  years: number;
  customers: number;
  products: number;
  /** Orders per chunk: bounds memory and sets the transaction/COPY size. */
  chunkOrders: number;
  ids: IdStart;
}

type OrderStatus = 'draft' | 'confirmed' | 'shipped' | 'invoiced' | 'paid' | 'cancelled';

/** Status mix by order age: old orders are settled, recent ones are still moving through the pipeline. */
function statusFor(random: SeededRandom, ageDays: number): OrderStatus {
  if (ageDays > 120)
    return random.weighted([
      ['cancelled', 3],
      ['paid', 91],
      ['invoiced', 6],
    ]);
  if (ageDays > 30)
    return random.weighted([
      ['cancelled', 3],
      ['paid', 55],
      ['invoiced', 35],
      ['shipped', 7],
    ]);
  return random.weighted([
    ['draft', 10],
    ['confirmed', 25],
    ['shipped', 25],
    ['invoiced', 30],
    ['paid', 10],
  ]);
}

/**
 * Streams deterministic ERP history: master data first, then chunks of orders with their lines,
 * invoices, payments and double-entry postings, then monthly expenses and inventory purchases.
 * Every posting has a matching opposite posting, so debits equal credits over the whole ledger.
 */
export function* generateDemoData(opts: GenerateOptions): Generator<DemoChunk> {
  const random = new SeededRandom(opts.seed);
  const calendar = new Calendar();
  const endDay = Calendar.dayOf(opts.endDate);
  const startDay = endDay - Math.round(opts.years * 365);
  const ids = { ...opts.ids };
  const customers = makeCustomers(random, calendar, opts.customers, ids.customers, startDay);
  yield { phase: 'customers', tables: [{ table: 'customers', rows: customers.rows }], ordersDone: 0 };
  const products = makeProducts(random, calendar, opts.products, ids.products, startDay);
  yield { phase: 'products', tables: [{ table: 'products', rows: products.rows }], ordersDone: 0 };

  const monthly = new Map<string, { revenue: number; cogs: number; lastDay: number }>();
  const span = endDay - startDay;
  for (let done = 0; done < opts.orders;) {
    const size = Math.min(opts.chunkOrders, opts.orders - done);
    const chunk = { orders: [] as DemoRow[], lines: [] as DemoRow[], invoices: [] as DemoRow[], payments: [] as DemoRow[], ledger: [] as DemoRow[] };
    for (let i = 0; i < size; i++, done++) {
      // Dates rise with the order number and business grows: more orders per day in later years.
      const day = startDay + Math.min(span, Math.floor(span * Math.pow((done + random.next()) / opts.orders, 1 / 1.3)));
      const customer = customers.info[Math.floor(customers.info.length * random.next() ** 2)] as CustomerInfo;
      addOrder(random, calendar, ids, chunk, customer, products.info, day, endDay, monthly);
    }
    yield {
      phase: 'orders',
      ordersDone: done,
      tables: [
        { table: 'orders', rows: chunk.orders },
        { table: 'order_lines', rows: chunk.lines },
        { table: 'invoices', rows: chunk.invoices },
        { table: 'payments', rows: chunk.payments },
        { table: 'ledger_entries', rows: chunk.ledger },
      ],
    };
  }
  yield { phase: 'expenses', ordersDone: opts.orders, tables: [{ table: 'ledger_entries', rows: monthlyPostings(random, calendar, ids, monthly) }] };
}

interface ChunkRows {
  orders: DemoRow[];
  lines: DemoRow[];
  invoices: DemoRow[];
  payments: DemoRow[];
  ledger: DemoRow[];
}

function addOrder(
  random: SeededRandom,
  calendar: Calendar,
  ids: IdStart,
  chunk: ChunkRows,
  customer: CustomerInfo,
  products: readonly ProductInfo[],
  day: number,
  endDay: number,
  monthly: Map<string, { revenue: number; cogs: number; lastDay: number }>,
): void {
  const orderId = ids.orders++;
  const status = statusFor(random, endDay - day);
  const createdAt = calendar.timestamp(day, random.int(25_200, 68_400));
  let total = 0;
  let cost = 0;
  const lineCount = random.weighted([
    [1, 30],
    [2, 28],
    [3, 20],
    [4, 13],
    [5, 9],
  ]);
  const firstProduct = random.int(0, products.length - 1);
  for (let line = 1; line <= lineCount; line++) {
    // Consecutive distinct products from a random start: no duplicate product within one order.
    const product = products[(firstProduct + (line - 1) * 37) % products.length] as ProductInfo;
    const quantity = 1 + Math.floor(random.next() ** 2 * customer.segment.maxQuantity);
    const discountBp = random.chance(customer.segment.discountRate) ? random.pick([250, 500, 1000, 1500]) : 0;
    const lineTotal = Math.round((quantity * product.priceCents * (10_000 - discountBp)) / 10_000);
    total += lineTotal;
    cost += quantity * product.costCents;
    chunk.lines.push([ids.order_lines++, orderId, line, product.id, quantity, product.priceCents, product.costCents, discountBp, lineTotal]);
  }
  const orderNo = `SO-${String(orderId).padStart(8, '0')}`;
  const notes = random.chance(0.05) ? random.pick(['Deliver to loading dock B', 'Call before delivery', 'Partial delivery accepted', 'Urgent']) : null;
  chunk.orders.push([orderId, orderNo, customer.id, calendar.iso(day), status, 'EUR', total, cost, notes, createdAt, createdAt]);
  if (status !== 'invoiced' && status !== 'paid') return;

  const issueDay = Math.min(endDay, day + random.int(0, 5));
  const dueDay = issueDay + customer.termsDays;
  const invoiceId = ids.invoices++;
  const invoiceNo = `INV-${String(invoiceId).padStart(8, '0')}`;
  const issued = calendar.iso(issueDay);
  chunk.invoices.push([
    invoiceId,
    invoiceNo,
    orderId,
    customer.id,
    issued,
    calendar.iso(dueDay),
    total,
    status === 'paid' ? 'paid' : 'open',
    calendar.timestamp(issueDay, 61_200),
  ]);
  const at = calendar.timestamp(issueDay, 61_200);
  post(chunk, ids, issued, ACCOUNTS.receivables, total, 0, invoiceNo, 'Invoice issued', at);
  post(chunk, ids, issued, ACCOUNTS.revenue, 0, total, invoiceNo, 'Sales revenue', at);
  post(chunk, ids, issued, ACCOUNTS.cogs, cost, 0, invoiceNo, 'Cost of goods sold', at);
  post(chunk, ids, issued, ACCOUNTS.inventory, 0, cost, invoiceNo, 'Inventory relieved', at);
  const month = monthly.get(calendar.month(issueDay)) ?? { revenue: 0, cogs: 0, lastDay: issueDay };
  month.revenue += total;
  month.cogs += cost;
  month.lastDay = Math.max(month.lastDay, issueDay);
  monthly.set(calendar.month(issueDay), month);

  // Paid invoices: mostly on time, 20 % late, 10 % in two instalments. Open ones: 20 % part-paid.
  const amounts =
    status === 'paid'
      ? random.chance(0.1) && total > 1
        ? [Math.floor(total / 2), total - Math.floor(total / 2)]
        : [total]
      : random.chance(0.2) && total > 3
        ? [Math.floor(total / 3)]
        : [];
  let payDay = random.chance(0.2) ? dueDay + random.int(1, 60) : dueDay - random.int(0, Math.min(customer.termsDays, 10));
  for (const amount of amounts) {
    payDay = Math.max(issueDay, Math.min(endDay, payDay));
    const paymentId = ids.payments++;
    const reference = `PAY-${String(paymentId).padStart(8, '0')}`;
    const paidAt = calendar.timestamp(payDay, 43_200);
    chunk.payments.push([paymentId, invoiceId, calendar.iso(payDay), amount, random.weighted(PAYMENT_METHODS), paidAt]);
    post(chunk, ids, calendar.iso(payDay), ACCOUNTS.cash, amount, 0, reference, `Payment for ${invoiceNo}`, paidAt);
    post(chunk, ids, calendar.iso(payDay), ACCOUNTS.receivables, 0, amount, reference, `Payment for ${invoiceNo}`, paidAt);
    payDay += random.int(5, 30);
  }
}

function post(
  chunk: ChunkRows,
  ids: IdStart,
  date: string,
  account: string,
  debit: number,
  credit: number,
  reference: string,
  description: string,
  at: string,
): void {
  if (debit === 0 && credit === 0) return;
  chunk.ledger.push([ids.ledger_entries++, date, account, debit, credit, reference, description, at]);
}

/** Month-end postings: operating expenses paid in cash, and inventory bought on credit then paid. */
function monthlyPostings(
  random: SeededRandom,
  calendar: Calendar,
  ids: IdStart,
  monthly: Map<string, { revenue: number; cogs: number; lastDay: number }>,
): DemoRow[] {
  const chunk: ChunkRows = { orders: [], lines: [], invoices: [], payments: [], ledger: [] };
  for (const [month, totals] of [...monthly.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const date = calendar.iso(totals.lastDay);
    const at = calendar.timestamp(totals.lastDay, 72_000);
    for (const expense of MONTHLY_EXPENSES) {
      const amount = Math.round(expense.fixedCents + totals.revenue * expense.shareOfRevenue * (0.85 + random.next() * 0.3));
      const reference = `EXP-${month}-${expense.label}`;
      post(chunk, ids, date, expense.account, amount, 0, reference, `${expense.label.toLowerCase()} ${month}`, at);
      post(chunk, ids, date, ACCOUNTS.cash, 0, amount, reference, `${expense.label.toLowerCase()} ${month}`, at);
    }
    const purchase = `PUR-${month}`;
    post(chunk, ids, date, ACCOUNTS.inventory, totals.cogs, 0, purchase, `Inventory purchases ${month}`, at);
    post(chunk, ids, date, ACCOUNTS.payables, 0, totals.cogs, purchase, `Inventory purchases ${month}`, at);
    post(chunk, ids, date, ACCOUNTS.payables, totals.cogs, 0, `${purchase}-PAID`, `Supplier payments ${month}`, at);
    post(chunk, ids, date, ACCOUNTS.cash, 0, totals.cogs, `${purchase}-PAID`, `Supplier payments ${month}`, at);
  }
  return chunk.ledger;
}
