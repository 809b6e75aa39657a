import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { NotFoundError } from '../../shared/errors.ts';
import { WorkerRegistry } from '../registry.ts';
import { Schedules, type ScheduleSpec } from '../scheduler.ts';
import type { ApplyOptions } from '../queues.ts';
import type { TaskSystem } from '../system.ts';
import { LazyBoard } from './board.ts';
import { withAge } from './events.ts';
import { listTasks, retryTask, taskDetail } from './jobs.ts';

export interface TasksAdminOptions {
  /** Full public path of Bull Board, including where this plugin is mounted, e.g. `/admin/queues`. */
  basePath?: string;
  /** Declared schedules, so the schedules view shows code entries (defaults to none). */
  schedules?: readonly ScheduleSpec[];
}

const Id = Type.String({ minLength: 1, maxLength: 200 });
const ListQuery = Type.Object(
  {
    queue: Type.Optional(Type.String({ maxLength: 64 })),
    state: Type.Optional(Type.Union(['active', 'waiting', 'prioritized', 'delayed', 'waiting-children', 'failed', 'completed'].map((s) => Type.Literal(s)))),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    since: Type.Optional(Type.Integer({ minimum: 0 })),
    until: Type.Optional(Type.Integer({ minimum: 0 })),
    search: Type.Optional(Type.String({ maxLength: 500 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
const RevokeBody = Type.Object({ terminate: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const ScheduleBody = Type.Object(
  {
    task: Type.Optional(Type.String({ maxLength: 200 })),
    args: Type.Optional(Type.Unknown()),
    cron: Type.Optional(Type.String({ maxLength: 200 })),
    every: Type.Optional(Type.Integer({ minimum: 100 })),
    tz: Type.Optional(Type.String({ maxLength: 64 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
/** Flower's apply-async body. `countdown` is in seconds (as in Celery and Flower), `eta` an ISO 8601 time. */
const ApplyBody = Type.Object(
  {
    args: Type.Optional(Type.Unknown({ description: "the task's arguments, checked against its schema" })),
    countdown: Type.Optional(Type.Number({ minimum: 0, maximum: 366 * 86_400, description: 'run no earlier than this many seconds from now' })),
    eta: Type.Optional(Type.String({ format: 'date-time', description: 'run no earlier than this time (wins over countdown)' })),
    expires: Type.Optional(Type.Number({ minimum: 0, maximum: 366 * 86_400, description: 'drop the task unstarted after this many seconds' })),
    queue: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$', description: "route to this queue instead of the task's own" })),
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_097_152 })),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Id });
const TaskNameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });
const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * Flower's role: Bull Board at `/queues` and a JSON API under `/tasks/...`, relative to wherever the
 * caller mounts the plugin. Authentication is the caller's job (it is enforced before these routes).
 */
export function tasksAdminRoutes(system: TaskSystem, opts: TasksAdminOptions = {}): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const known = (): string[] => [...system.queueNames];
    const board = new LazyBoard(system, opts.basePath ?? '/queues');
    app.addHook('onClose', () => board.close());
    const schedules = new Schedules(system, opts.schedules);
    await app.register(
      async (scope) => {
        scope.addHook('preHandler', beatSchedulerGuard(schedules));
        const route = { schema: { hide: true } };
        scope.all('/', route, (request, reply) => board.handle(request, reply));
        scope.all('/*', route, (request, reply) => board.handle(request, reply));
      },
      { prefix: '/queues' },
    );

    const workers = new WorkerRegistry(system.backend.store);
    const requireQueue = (name: string): string => {
      if (!known().includes(name)) throw new NotFoundError(`queue "${name}"`);
      return name;
    };

    app.get('/tasks/queues', async () =>
      Promise.all(
        known().map(async (name) => {
          const q = system.queue(name);
          return {
            name,
            paused: await q.isPaused(),
            counts: await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'),
          };
        }),
      ),
    );
    app.get('/tasks/workers', async () => withAge(await workers.list()));
    app.get('/tasks/registered', async () =>
      system.definitions().map((d) => ({
        name: d.name,
        queue: d.queue,
        retries: d.options.retries?.max ?? 0,
        timeLimit: d.options.timeLimit ?? null,
        rateLimit: d.options.rateLimit ?? null,
      })),
    );
    app.get<{ Querystring: Static<typeof ListQuery> }>('/tasks/jobs', { schema: { querystring: ListQuery } }, async (req) => {
      const q = req.query;
      if (q.queue !== undefined) requireQueue(q.queue);
      return listTasks(system, { ...q, state: q.state });
    });
    app.post<{ Params: Static<typeof TaskNameParams>; Body: Static<typeof ApplyBody> | undefined }>(
      '/tasks/apply/:name',
      { schema: { params: TaskNameParams, body: ApplyBody } },
      async (req, reply) => {
        const handle = await system.send(req.params.name, req.body?.args ?? null, applyOptionsOf(req.body ?? {}));
        return reply.code(202).send({ id: handle.id, task: req.params.name, queue: handle.queue, state: 'PENDING' });
      },
    );
    app.get<{ Params: Static<typeof IdParams> }>('/tasks/jobs/:id', { schema: { params: IdParams } }, async (req) => taskDetail(system, req.params.id));
    app.post<{ Params: Static<typeof IdParams> }>('/tasks/jobs/:id/retry', { schema: { params: IdParams } }, async (req) => {
      await retryTask(system, req.params.id);
      return { id: req.params.id, retried: true };
    });
    app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof RevokeBody> }>(
      '/tasks/jobs/:id/revoke',
      { schema: { params: IdParams, body: RevokeBody } },
      async (req) => {
        await system.revoke(req.params.id, { terminate: req.body?.terminate === true });
        return { id: req.params.id, revoked: true, terminate: req.body?.terminate === true };
      },
    );
    app.post<{ Params: Static<typeof NameParams> }>('/tasks/queues/:name/purge', { schema: { params: NameParams } }, async (req) => {
      const q = system.queue(requireQueue(req.params.name));
      const before = await q.getJobCounts('waiting', 'delayed', 'prioritized');
      // Celery's purge: drop what waits (including delayed); running jobs are left alone.
      await q.drain(true);
      return { queue: q.name, purged: Object.values(before).reduce((a, b) => a + b, 0) };
    });
    app.get('/tasks/schedules', async () => schedules.list());
    app.put<{ Params: Static<typeof IdParams>; Body: Static<typeof ScheduleBody> }>(
      '/tasks/schedules/:id',
      { schema: { params: IdParams, body: ScheduleBody } },
      async (req) => schedules.update(req.params.id, req.body),
    );
    app.delete<{ Params: Static<typeof IdParams> }>('/tasks/schedules/:id', { schema: { params: IdParams } }, async (req) => {
      await schedules.reset(req.params.id);
      return { id: req.params.id, reset: true };
    });
    app.post<{ Params: Static<typeof IdParams> }>('/tasks/schedules/:id/run', { schema: { params: IdParams } }, async (req) => ({
      id: await schedules.runNow(req.params.id),
    }));
  };
}

const BOARD_SCHEDULER = /\/api\/queues\/[^/]+\/job-schedulers\/([^/?]+)(\/remove)?(?:\?|$)/;

/**
 * Beat re-creates its job schedulers on every resync, so Bull Board's own remove and edit of one would be
 * silently undone. For Beat's schedules both go through the schedules API instead, which persists them: a
 * remove becomes an `enabled: false` override, an edit an override with the new timing. Others pass through.
 */
function beatSchedulerGuard(schedules: Schedules) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const match = BOARD_SCHEDULER.exec(request.url);
    if (match === null || (request.method !== 'PUT' && request.method !== 'PATCH')) return undefined;
    const id = decodeURIComponent(match[1] ?? '');
    if (!(await schedules.effective()).some((s) => s.id === id)) return undefined;
    if (request.method === 'PUT' && match[2] !== undefined) {
      await schedules.update(id, { enabled: false });
      return reply.code(204).send();
    }
    if (request.method === 'PATCH' && match[2] === undefined) {
      const body = (request.body ?? {}) as { pattern?: unknown; every?: unknown; tz?: unknown };
      const pattern = typeof body.pattern === 'string' && body.pattern.trim() !== '' ? body.pattern.trim() : undefined;
      const tz = typeof body.tz === 'string' && body.tz.trim() !== '' ? body.tz.trim() : undefined;
      await schedules.update(id, { enabled: true, ...(pattern !== undefined ? { cron: pattern, ...(tz ? { tz } : {}) } : { every: Number(body.every) }) });
      return reply.code(204).send();
    }
    return undefined;
  };
}

function applyOptionsOf(body: Static<typeof ApplyBody>): ApplyOptions {
  return {
    ...(body.countdown === undefined ? {} : { countdown: Math.round(body.countdown * 1000) }),
    ...(body.eta === undefined ? {} : { eta: new Date(body.eta) }),
    ...(body.expires === undefined ? {} : { expires: Math.round(body.expires * 1000) }),
    ...(body.queue === undefined ? {} : { queue: body.queue }),
    ...(body.priority === undefined ? {} : { priority: body.priority }),
  };
}
