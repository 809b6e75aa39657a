import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/schema.ts';
import { registerResource, resourceRouteContext, type ResourceRouteOptions } from '../resources/index.ts';
import { customerResource } from './customers.ts';
import { orderResource } from './orders.ts';
import { productResource } from './products.ts';

export { customerResource, customerColumns, CustomerCreate, type Customer, type CustomerPatch } from './customers.ts';
export { productResource, productColumns, ProductCreate, type Product, type ProductPatch } from './products.ts';
export { orderResource, orderRepository, type Order, type OrderCreate, type OrderPatch } from './orders.ts';

/** The ERP resources' routes, to register under /api/v1 (after the API toolkit). */
export function erpRoutes(db: Kysely<DatabaseSchema>, options: ResourceRouteOptions = {}) {
  const context = resourceRouteContext(options);
  const repositoryOptions = { queryCache: options.queryCache };
  // Each resource purges only its own tag: an order embeds no customer or product data (only their ids
  // and prices copied at creation), and customers/products cannot be deleted while orders reference them.
  return async (app: FastifyInstance): Promise<void> => {
    registerResource(app, customerResource(db, repositoryOptions), context);
    registerResource(app, productResource(db, repositoryOptions), context);
    registerResource(app, orderResource(db, repositoryOptions), context);
  };
}
export type { ResourceRouteOptions } from '../resources/index.ts';
