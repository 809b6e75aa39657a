import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { OutboundClient } from '../outbound/index.ts';
import { AiStackError } from '../shared/errors.ts';
import type { SyncDeps } from './run.ts';
import { createSource, deleteSource, getSourceRow, listSources, replaceSource, SyncSourceInput, toView } from './sources.ts';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const RunsQuery = Type.Object(
  {
    source_id: Type.Optional(Type.Integer({ minimum: 1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
/** A source's settings are small; anything bigger is refused before it is parsed. */
const BODY_LIMIT = 64 * 1024;
const OBJECT = { type: 'object', additionalProperties: true } as const;
const CREATED = { 201: { ...OBJECT, description: 'Created; the credential is shown as •••• from now on' } };
const STARTED = {
  202: {
    type: 'object',
    description: 'Accepted: the run is sync.sync_external_data task `task_id` (GET /admin/tasks/jobs/{id}); its statistics appear in GET /admin/sync/runs',
    properties: { task_id: { type: 'string' }, source_id: { type: 'integer' }, task_url: { type: 'string' } },
  },
};
const DELETED = { 204: { description: 'Deleted', type: 'null' } };

export interface SyncRoutesOptions {
  deps: SyncDeps;
  /** Enqueues `sync.sync_external_data` for a source; returns the task id. */
  enqueue: (sourceId: number) => Promise<string>;
}

/** /admin/sync: sources (credentials write-only, shown as ••••), runs on demand, and each run's statistics. */
export function syncAdminRoutes({ deps, enqueue }: SyncRoutesOptions) {
  const { db, credentialsKey } = deps;
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/sync/sources', { schema: { summary: 'List external data sources' } }, async () => ({ items: await listSources(db) }));
    app.post<{ Body: SyncSourceInput }>(
      '/sync/sources',
      {
        bodyLimit: BODY_LIMIT,
        schema: { summary: 'Add a source (credentials are stored encrypted, never shown again)', body: SyncSourceInput, response: CREATED },
      },
      async (request, reply) => {
        await refuseInternalTarget(deps, request.body.url);
        return reply.code(201).send(await createSource(db, request.body, credentialsKey));
      },
    );
    app.get<{ Params: Static<typeof IdParams> }>('/sync/sources/:id', { schema: { summary: 'One source', params: IdParams } }, async (request) =>
      toView(await getSourceRow(db, request.params.id)),
    );
    app.put<{ Params: Static<typeof IdParams>; Body: SyncSourceInput }>(
      '/sync/sources/:id',
      {
        bodyLimit: BODY_LIMIT,
        schema: { summary: 'Replace a source (credentials left out are kept; null removes them)', params: IdParams, body: SyncSourceInput },
      },
      async (request) => {
        await refuseInternalTarget(deps, request.body.url);
        return replaceSource(db, request.params.id, request.body, credentialsKey);
      },
    );
    app.delete<{ Params: Static<typeof IdParams> }>(
      '/sync/sources/:id',
      { schema: { summary: 'Delete a source with its runs and staged records', params: IdParams, response: DELETED } },
      async (request, reply) => {
        await deleteSource(db, request.params.id);
        return reply.code(204).send();
      },
    );
    app.post<{ Params: Static<typeof IdParams> }>(
      '/sync/sources/:id/run',
      { schema: { summary: 'Run the source now (sync.sync_external_data)', params: IdParams, response: STARTED } },
      async (request, reply) => {
        const source = await getSourceRow(db, request.params.id);
        if (Number(source.enabled) !== 1) throw new AiStackError(`sync source ${source.id} is disabled`, { code: 'sync_source_disabled', status: 409 });
        const taskId = await enqueue(source.id);
        return reply.code(202).send({ task_id: taskId, source_id: source.id, task_url: `/admin/tasks/jobs/${encodeURIComponent(taskId)}` });
      },
    );
    app.get<{ Querystring: Static<typeof RunsQuery> }>(
      '/sync/runs',
      { schema: { summary: 'Runs, newest first: read, inserted, updated, unchanged, rejected (with reasons)', querystring: RunsQuery } },
      async (request) => {
        let query = db.kysely
          .selectFrom('sync_runs')
          .selectAll()
          .orderBy('id', 'desc')
          .limit(request.query.limit ?? 100);
        if (request.query.source_id !== undefined) query = query.where('source_id', '=', request.query.source_id);
        return { items: (await query.execute()).map((run) => ({ ...run, rejections: JSON.parse(run.rejections) as unknown })) };
      },
    );
  };
}

/** Loopback, private and metadata targets are refused when a source is saved, not only when it runs. An unresolvable host is accepted (it may exist later). */
async function refuseInternalTarget(deps: SyncDeps, url: string): Promise<void> {
  const client = new OutboundClient({ allow: deps.allow, ...(deps.resolve ? { resolve: deps.resolve } : {}) });
  try {
    await client.check(url);
  } catch (error) {
    if (error instanceof AiStackError) throw error;
  } finally {
    await client.close();
  }
}
