import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/schema.ts';
import { registerResource } from '../resources/crud.ts';
import { customerResource } from './customers.ts';
import { orderResource } from './orders.ts';
import { productResource } from './products.ts';

export { customerResource, type Customer, type CustomerCreate, type CustomerPatch } from './customers.ts';
export { productResource, type Product, type ProductCreate, type ProductPatch } from './products.ts';
export { orderResource, orderRepository, type Order, type OrderCreate, type OrderPatch } from './orders.ts';

/** The ERP resources' routes, to register under /api/v1. */
export function erpRoutes(db: Kysely<DatabaseSchema>) {
  return async (app: FastifyInstance): Promise<void> => {
    registerResource(app, customerResource(db));
    registerResource(app, productResource(db));
    registerResource(app, orderResource(db));
  };
}
