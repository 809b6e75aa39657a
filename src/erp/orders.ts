import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { Type, type Static } from 'typebox';
import type { DatabaseSchema } from '../db/schema.ts';
import { ValidationError } from '../shared/errors.ts';
import { createdBetween, listPage, stringEnum, type Repository, type RepositoryOptions, type ResourceSpec } from '../resources/index.ts';

const STATUSES = ['draft', 'confirmed', 'shipped', 'invoiced', 'paid', 'cancelled'] as const;
const MAX_LINES = 500;
const isoDate = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description: 'YYYY-MM-DD' });
const status = stringEnum(STATUSES);
const notes = Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]);

const LineInput = Type.Object(
  {
    product_id: Type.Integer({ minimum: 1 }),
    quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    unit_price_cents: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e12, description: "Defaults to the product's price" })),
    discount_bp: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'Discount in basis points (1/100 %)' })),
  },
  { additionalProperties: false },
);

export const OrderCreate = Type.Object(
  {
    order_no: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$' })),
    customer_id: Type.Integer({ minimum: 1 }),
    order_date: Type.Optional(isoDate),
    status: Type.Optional(status),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    notes: Type.Optional(notes),
    lines: Type.Array(LineInput, { minItems: 1, maxItems: MAX_LINES }),
  },
  { additionalProperties: false },
);
export const OrderPatch = Type.Object(
  { status: Type.Optional(status), notes: Type.Optional(notes), order_date: Type.Optional(isoDate) },
  { additionalProperties: false, minProperties: 1 },
);
const OrderLine = Type.Object({
  line_no: Type.Integer(),
  product_id: Type.Integer(),
  quantity: Type.Integer(),
  unit_price_cents: Type.Integer(),
  unit_cost_cents: Type.Integer(),
  discount_bp: Type.Integer(),
  line_total_cents: Type.Integer(),
});
export const Order = Type.Object({
  id: Type.Integer(),
  order_no: Type.String(),
  customer_id: Type.Integer(),
  order_date: Type.String(),
  status,
  currency: Type.String(),
  total_cents: Type.Integer(),
  cost_cents: Type.Integer(),
  notes,
  version: Type.Integer(),
  created_at: Type.String(),
  updated_at: Type.String(),
  lines: Type.Optional(Type.Array(OrderLine)),
});
export type OrderCreate = Static<typeof OrderCreate>;
export type OrderPatch = Static<typeof OrderPatch>;
export type Order = Static<typeof Order>;
type OrderLine = Static<typeof OrderLine>;
type Db = Kysely<DatabaseSchema>;

const SORT_COLUMNS = { id: 'id', order_no: 'order_no', order_date: 'order_date', total_cents: 'total_cents' } as const;

/** Orders and their lines are written together in one transaction: an order never exists half-created. */
export function orderRepository(db: Db, options: RepositoryOptions = {}): Repository<OrderCreate, OrderPatch, Order> {
  return bindOrders(db, options);
}

/** The repository over one executor: the Db, or a transaction (then nested work joins it). */
function bindOrders(db: Db | Transaction<DatabaseSchema>, options: RepositoryOptions): Repository<OrderCreate, OrderPatch, Order> {
  const inTransaction = <T>(work: (trx: Transaction<DatabaseSchema>) => Promise<T>): Promise<T> =>
    db.isTransaction ? work(db as Transaction<DatabaseSchema>) : db.transaction().execute(work);
  const withLines = async (id: number): Promise<Order | undefined> => {
    const order = await db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
    if (!order) return undefined;
    const lines = await db
      .selectFrom('order_lines')
      .select(['line_no', 'product_id', 'quantity', 'unit_price_cents', 'unit_cost_cents', 'discount_bp', 'line_total_cents'])
      .where('order_id', '=', id)
      .orderBy('line_no')
      .execute();
    return { ...order, lines };
  };

  const repository: Repository<OrderCreate, OrderPatch, Order> = {
    create: (input) => inTransaction((trx) => createOrder(trx, input)),

    get: (id) => withLines(id),

    async version(id) {
      const row = await db.selectFrom('orders').select('version').where('id', '=', id).executeTakeFirst();
      return row?.version;
    },

    async update(id, patch, expectedVersion) {
      let query = db
        .updateTable('orders')
        .set((eb) => ({ ...patch, updated_at: new Date().toISOString(), version: eb('version', '+', 1) }))
        .where('id', '=', id);
      if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
      const updated = await query.returning('id').executeTakeFirst();
      return updated ? withLines(id) : undefined;
    },

    async delete(id, expectedVersion) {
      let query = db.deleteFrom('orders').where('id', '=', id);
      if (expectedVersion !== undefined) query = query.where('version', '=', expectedVersion);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    // Lists carry the order headers only; GET /orders/:id adds the lines.
    list: (request) =>
      listPage(
        {
          rows: db.selectFrom('orders').selectAll(),
          count: db.selectFrom('orders').select((eb) => eb.fn.countAll().as('total')),
          queryCache: db.isTransaction ? undefined : options.queryCache,
        },
        request,
        (row): Order => row,
      ),

    transaction: (work) => (db.isTransaction ? work(repository) : db.transaction().execute((trx) => work(bindOrders(trx, options)))),
  };
  return repository;
}

async function createOrder(trx: Transaction<DatabaseSchema>, input: OrderCreate): Promise<Order> {
  const customer = await trx.selectFrom('customers').select('id').where('id', '=', input.customer_id).executeTakeFirst();
  if (!customer) throw new ValidationError(`Customer ${input.customer_id} does not exist`, [{ field: 'body/customer_id', message: 'does not exist' }]);
  const lines = await priceLines(trx, input.lines);
  const stamp = new Date().toISOString();
  const order = await trx
    .insertInto('orders')
    .values({
      order_no: input.order_no ?? newOrderNumber(),
      customer_id: input.customer_id,
      order_date: input.order_date ?? stamp.slice(0, 10),
      status: input.status ?? 'confirmed',
      currency: input.currency ?? 'USD',
      total_cents: lines.reduce((sum, l) => sum + l.line_total_cents, 0),
      cost_cents: lines.reduce((sum, l) => sum + l.unit_cost_cents * l.quantity, 0),
      notes: input.notes ?? null,
      created_at: stamp,
      updated_at: stamp,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('order_lines')
    .values(lines.map((l) => ({ ...l, order_id: order.id })))
    .execute();
  return (await bindOrders(trx, {}).get(order.id)) as Order;
}

async function priceLines(trx: Transaction<DatabaseSchema>, input: OrderCreate['lines']): Promise<OrderLine[]> {
  const ids = [...new Set(input.map((l) => l.product_id))];
  const products = await trx.selectFrom('products').select(['id', 'unit_price_cents', 'unit_cost_cents']).where('id', 'in', ids).execute();
  const byId = new Map(products.map((p) => [p.id, p]));
  const missing = input.flatMap((line, index) =>
    byId.has(line.product_id) ? [] : [{ field: `body/lines/${index}/product_id`, message: `product ${line.product_id} does not exist` }],
  );
  if (missing.length > 0) throw new ValidationError(`${missing.length} order line(s) name a product that does not exist`, missing);
  return input.map((line, index) => {
    const product = byId.get(line.product_id)!;
    const unitPrice = line.unit_price_cents ?? product.unit_price_cents;
    const discount = line.discount_bp ?? 0;
    const gross = unitPrice * line.quantity;
    return {
      line_no: index + 1,
      product_id: line.product_id,
      quantity: line.quantity,
      unit_price_cents: unitPrice,
      unit_cost_cents: product.unit_cost_cents,
      discount_bp: discount,
      line_total_cents: gross - Math.round((gross * discount) / 10_000),
    };
  });
}

function newOrderNumber(): string {
  return `SO-${Date.now().toString(36).toUpperCase()}-${randomBytes(3).toString('hex').toUpperCase()}`;
}

export function orderResource(db: Db, options: RepositoryOptions = {}): ResourceSpec<OrderCreate, OrderPatch, Order> {
  return {
    path: '/orders',
    name: 'Order',
    createSchema: OrderCreate,
    patchSchema: OrderPatch,
    itemSchema: Order,
    sortColumns: SORT_COLUMNS,
    // Each on an index (0007-list-filter-indexes; customer_id since 0002).
    filters: {
      status: { column: 'status', op: '=', schema: status },
      customer_id: { column: 'customer_id', op: '=', schema: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) },
      ...createdBetween(),
    },
    repository: orderRepository(db, options),
  };
}
