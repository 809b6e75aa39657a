import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { translateDatabaseError } from '../db/index.ts';
import { runBulkAtomic, runBulkPartial, type BulkOutcome } from '../http/toolkit/index.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import type { Repository, ResourceSpec, Versioned } from './crud.ts';
import type { ResourceRouteContext } from './route-options.ts';

const BulkQuery = Type.Object(
  { atomic: Type.Boolean({ default: false, description: 'true: all items in one transaction, nothing applied if one fails' }) },
  { additionalProperties: false },
);
const id = Type.Integer({ minimum: 1, maximum: 2_147_483_647 });

type Apply<I, R, TCreate, TPatch, TOut extends Versioned> = (repo: Repository<TCreate, TPatch, TOut>, item: I) => Promise<R>;

/**
 * `POST|PATCH|DELETE /<resource>/$bulk`: many creates, updates or deletes in one request. By default
 * each item succeeds or fails on its own (200, or 207 with a problem per failed item); `?atomic=true`
 * runs them in one transaction and answers the first failure's status, naming the item.
 */
export function registerBulkRoutes<TCreate, TPatch, TOut extends Versioned>(
  app: FastifyInstance,
  spec: ResourceSpec<TCreate, TPatch, TOut>,
  context: ResourceRouteContext,
  invalidates: () => string[],
): void {
  const { name } = spec;
  const maxItems = context.maxBulkItems;
  const tags = [spec.name];
  const bulkPath = `${spec.path}/$bulk`;
  const items = (schema: TSchema) => Type.Object({ items: Type.Array(schema, { minItems: 1, maxItems }) }, { additionalProperties: false });

  const route = <I, R>(method: 'POST' | 'PATCH' | 'DELETE', body: TSchema, successStatus: number, apply: Apply<I, R, TCreate, TPatch, TOut>) => {
    app.route({
      method,
      url: bulkPath,
      schema: { tags, querystring: BulkQuery, body },
      config: { invalidates },
      handler: async (request: FastifyRequest, reply) => {
        const list = (request.body as { items: I[] }).items;
        const operation = method === 'POST' ? 'insert' : method === 'PATCH' ? 'update' : 'delete';
        // Constraint violations become typed errors (409 duplicate, 400 missing reference) for the item's problem.
        const translated = async (repo: Repository<TCreate, TPatch, TOut>, item: I): Promise<R> => {
          try {
            return await apply(repo, item);
          } catch (error) {
            throw translateDatabaseError(error, { operation });
          }
        };
        const atomic = (request.query as { atomic: boolean }).atomic;
        const outcome: BulkOutcome<R> = atomic
          ? await runBulkAtomic<I, R, Repository<TCreate, TPatch, TOut>>(
              list,
              (work) => spec.repository.transaction(work),
              (item, _index, repo) => translated(repo, item),
              { maxItems, successStatus },
            )
          : await runBulkPartial(list, (item) => translated(spec.repository, item), { maxItems, successStatus });
        return reply.code(outcome.status).send(outcome.body);
      },
    });
  };

  route<TCreate, TOut>('POST', items(spec.createSchema), 201, (repo, input) => repo.create(input));

  const UpdateItem = Type.Object(
    { id, version: Type.Optional(Type.Integer({ minimum: 1, description: 'Apply only if the row still has this version' })), patch: spec.patchSchema },
    { additionalProperties: false },
  );
  route<{ id: number; version?: number; patch: TPatch }, TOut>('PATCH', items(UpdateItem), 200, async (repo, item) => {
    const row = await repo.update(item.id, item.patch, item.version);
    if (row) return row;
    const current = item.version === undefined ? undefined : await repo.version(item.id);
    if (current === undefined) throw new NotFoundError(`${name} ${item.id}`);
    throw new ConflictError(`${name} ${item.id} is at version ${current}, not ${item.version}`, { code: 'version_conflict' });
  });

  const DeleteItem = Type.Object({ id, version: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });
  route<{ id: number; version?: number }, { id: number }>('DELETE', items(DeleteItem), 200, async (repo, item) => {
    if (await repo.delete(item.id, item.version)) return { id: item.id };
    const current = item.version === undefined ? undefined : await repo.version(item.id);
    if (current === undefined) throw new NotFoundError(`${name} ${item.id}`);
    throw new ConflictError(`${name} ${item.id} is at version ${current}, not ${item.version}`, { code: 'version_conflict' });
  });
}
