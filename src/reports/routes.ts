import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { ERP_CUBES, ReportDefinitionSchema, runPivot, runReport, type ReportDefinition } from '../analytics/index.ts';
import type { Db, QueryCache } from '../db/index.ts';
import { stringEnum } from '../resources/index.ts';
import { NotFoundError } from '../shared/errors.ts';
import type { TaskSystem } from '../tasks/index.ts';
import { DefinitionStore } from './definitions.ts';
import type { ReportDownloads } from './downloads.ts';
import { ERP_REPORT_TYPES, generateErpReport, type ErpReportArgs } from './erp/index.ts';
import { renderHtml } from './html.ts';
import { MEDIA_TYPES, writeCsv, writeXlsx } from './outputs.ts';
import { reportDb } from './tables.ts';
import { erpCharts, REPORT_TASKS } from './tasks.ts';
import { erpTables, pivotTable, reportTable, type OutputTable } from './tables-out.ts';

export interface ReportRouteOptions {
  db: Db;
  tasks: TaskSystem;
  downloads: ReportDownloads;
  queryCache?: QueryCache | undefined;
}

const Format = Type.Object({ format: Type.Optional(stringEnum(['json', 'csv', 'xlsx', 'html'] as const)) }, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }, { additionalProperties: false });
const DefinitionBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    shared: Type.Optional(Type.Boolean()),
    definition: ReportDefinitionSchema,
  },
  { additionalProperties: false },
);
const ErpQuery = Type.Object(
  {
    startDate: Type.String({ maxLength: 10 }),
    endDate: Type.String({ maxLength: 10 }),
    top: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    format: Type.Optional(stringEnum(['json', 'csv', 'xlsx', 'html'] as const)),
  },
  { additionalProperties: false },
);
const ROWS_SYNC_LIMIT = 10_000;

/** `Prefer: respond-async` (RFC 7240), or a large request: run it as a task and answer 202 with where to poll. */
function wantsAsync(request: FastifyRequest): boolean {
  return /respond-async/i.test(String(request.headers.prefer ?? ''));
}

async function accepted(reply: FastifyReply, tasks: TaskSystem, name: string, args: unknown): Promise<FastifyReply> {
  const handle = await tasks.send(name, args);
  const location = `/api/v1/reports/tasks/${handle.id}`;
  return reply
    .code(202)
    .header('location', location)
    .send({ task: { id: handle.id, name, state: 'PENDING' }, location });
}

async function sendTables(
  reply: FastifyReply,
  format: 'csv' | 'xlsx' | 'html',
  name: string,
  tables: OutputTable[],
  charts: Parameters<typeof renderHtml>[2] = [],
): Promise<FastifyReply> {
  const filename = `${name.replace(/[^\w.-]+/g, '-').slice(0, 80)}.${format}`;
  void reply.header('content-type', MEDIA_TYPES[format]).header('content-disposition', `attachment; filename="${filename}"`);
  if (format === 'html') return reply.header('content-disposition', 'inline').send(renderHtml(name, tables, charts));
  const { PassThrough } = await import('node:stream');
  const stream = new PassThrough();
  const done = format === 'xlsx' ? writeXlsx(tables, stream) : writeCsv(tables[0]!, stream);
  done.catch((error: unknown) => stream.destroy(error instanceof Error ? error : new Error(String(error))));
  return reply.send(stream);
}

/** `/api/v1/reports/*`: ad-hoc and saved reports, pivots, the ERP reports, task polling and file downloads. */
export function reportRoutes(options: ReportRouteOptions) {
  const { db, tasks, downloads } = options;
  const store = new DefinitionStore(reportDb(db));
  const run = { cubes: ERP_CUBES, queryCache: options.queryCache };

  async function answer(request: FastifyRequest, reply: FastifyReply, definition: ReportDefinition, format: string | undefined): Promise<unknown> {
    const pivot = definition.rows !== undefined || definition.columns !== undefined;
    if (wantsAsync(request) || (definition.limit ?? 0) > ROWS_SYNC_LIMIT)
      return accepted(reply, tasks, REPORT_TASKS.export, { definition, format: format === 'csv' ? 'csv' : format === 'html' ? 'html' : 'xlsx' });
    if (pivot) {
      const result = await runPivot(db, definition, run);
      return format && format !== 'json' ? sendTables(reply, format as 'csv' | 'xlsx' | 'html', result.title ?? 'pivot', [pivotTable(result)]) : result;
    }
    const result = await runReport(db, definition, run);
    return format && format !== 'json' ? sendTables(reply, format as 'csv' | 'xlsx' | 'html', result.title ?? 'report', [reportTable(result)]) : result;
  }

  return async (app: FastifyInstance): Promise<void> => {
    app.post<{ Body: ReportDefinition; Querystring: Static<typeof Format> }>(
      '/reports/run',
      {
        schema: {
          body: ReportDefinitionSchema,
          querystring: Format,
          tags: ['reports'],
          summary: 'Run a report or pivot definition (JSON, CSV, XLSX or HTML); large ones answer 202',
        },
      },
      (request, reply) => answer(request, reply, request.body, request.query.format),
    );

    app.get<{ Params: { reportType: string }; Querystring: Static<typeof ErpQuery> }>(
      '/reports/erp/:reportType',
      {
        schema: {
          params: Type.Object({ reportType: stringEnum(ERP_REPORT_TYPES) }),
          querystring: ErpQuery,
          tags: ['reports'],
          summary: 'The ERP reports: financial, sales, receivables',
        },
      },
      async (request, reply) => {
        const { format, ...rest } = request.query;
        const args = { reportType: request.params.reportType, ...rest } as ErpReportArgs;
        if (wantsAsync(request)) return accepted(reply, tasks, REPORT_TASKS.erp, { ...args, ...(format ? { format } : {}) });
        const report = await generateErpReport(db, args, options.queryCache);
        return format && format !== 'json'
          ? sendTables(reply, format, `${args.reportType}-${args.startDate}-${args.endDate}`, erpTables(report), erpCharts(report))
          : report;
      },
    );

    app.get<{ Params: { id: string } }>(
      '/reports/tasks/:id',
      { schema: { params: Type.Object({ id: Type.String({ maxLength: 100 }) }), tags: ['reports'], summary: 'State and result of a report task' } },
      async (request) => {
        const handle = tasks.result(request.params.id);
        const state = await handle.state();
        const info = state === 'SUCCESS' || state === 'FAILURE' ? await handle.info() : null;
        return {
          id: handle.id,
          state,
          ...(info?.state === 'SUCCESS' ? { result: info.result } : {}),
          ...(info?.state === 'FAILURE' ? { error: info.error } : {}),
        };
      },
    );

    app.get<{ Params: { token: string } }>(
      '/reports/files/:token',
      {
        schema: {
          params: Type.Object({ token: Type.String({ maxLength: 64 }) }),
          tags: ['reports'],
          summary: 'Download a report file while its link is valid',
        },
      },
      async (request, reply) => {
        const file = await downloads.open(request.params.token);
        if (!file) throw new NotFoundError('Report file (or its link has expired)');
        return reply
          .header('content-type', file.mediaType)
          .header('content-length', file.size)
          .header('content-disposition', `attachment; filename="${file.filename.replace(/[^\w.-]+/g, '-')}"`)
          .send(file.stream);
      },
    );

    app.post<{ Body: Static<typeof DefinitionBody> }>(
      '/reports/definitions',
      { schema: { body: DefinitionBody, tags: ['reports'], summary: 'Save a report definition (version 1)' } },
      async (request, reply) => {
        // Validate by resolving now: a saved definition must run.
        const { resolveReport } = await import('../analytics/index.ts');
        resolveReport(request.body.definition, ERP_CUBES);
        const saved = await store.create({ ...request.body, definition: request.body.definition });
        return reply.code(201).header('location', `/api/v1/reports/definitions/${saved.id}`).header('etag', `"${saved.id}.${saved.version}"`).send(saved);
      },
    );
    app.get('/reports/definitions', { schema: { tags: ['reports'] } }, async () => ({ items: await store.list() }));
    app.get<{ Params: Static<typeof IdParams> }>('/reports/definitions/:id', { schema: { params: IdParams, tags: ['reports'] } }, async (request, reply) => {
      const saved = await store.get(request.params.id);
      if (!saved) throw new NotFoundError(`Report definition ${request.params.id}`);
      return reply.header('etag', `"${saved.id}.${saved.version}"`).send(saved);
    });
    app.get<{ Params: Static<typeof IdParams> }>('/reports/definitions/:id/versions', { schema: { params: IdParams, tags: ['reports'] } }, async (request) => ({
      items: await store.versions(request.params.id),
    }));
    app.get<{ Params: { id: number; version: number } }>(
      '/reports/definitions/:id/versions/:version',
      {
        schema: {
          params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }), version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }),
          tags: ['reports'],
        },
      },
      async (request) => {
        const saved = await store.get(request.params.id, request.params.version);
        if (!saved) throw new NotFoundError(`Report definition ${request.params.id} version ${request.params.version}`);
        return saved;
      },
    );
    app.put<{ Params: Static<typeof IdParams>; Body: Static<typeof DefinitionBody> }>(
      '/reports/definitions/:id',
      {
        schema: {
          params: IdParams,
          body: DefinitionBody,
          tags: ['reports'],
          summary: 'Save a new version (If-Match: "<id>.<version>" guards against lost updates)',
        },
      },
      async (request, reply) => {
        const { resolveReport } = await import('../analytics/index.ts');
        resolveReport(request.body.definition, ERP_CUBES);
        const match = /^"(\d+)\.(\d+)"$/.exec(String(request.headers['if-match'] ?? ''));
        const saved = await store.update(request.params.id, { ...request.body, definition: request.body.definition }, match ? Number(match[2]) : undefined);
        return reply.header('etag', `"${saved.id}.${saved.version}"`).send(saved);
      },
    );
    app.delete<{ Params: Static<typeof IdParams> }>('/reports/definitions/:id', { schema: { params: IdParams, tags: ['reports'] } }, async (request, reply) => {
      if (!(await store.delete(request.params.id))) throw new NotFoundError(`Report definition ${request.params.id}`);
      return reply.code(204).send();
    });
    app.post<{ Params: Static<typeof IdParams>; Querystring: Static<typeof Format> }>(
      '/reports/definitions/:id/run',
      { schema: { params: IdParams, querystring: Format, tags: ['reports'] } },
      async (request, reply) => {
        const saved = await store.get(request.params.id);
        if (!saved) throw new NotFoundError(`Report definition ${request.params.id}`);
        return answer(request, reply, saved.definition, request.query.format);
      },
    );
  };
}
