/**
 * Completes the OpenAPI document for clients generated from `/docs/json`: every operation gets an
 * operationId, tags and a summary, its real success codes (201, 202, 204, 207) with a response
 * schema, and its problem+json error responses; query parameters with a default are optional.
 * Only the document changes: routes keep their own schemas for validation and serialization.
 */

type JsonSchema = Record<string, unknown>;
interface RouteSchema {
  tags?: string[];
  summary?: string;
  operationId?: string;
  hide?: boolean;
  params?: JsonSchema;
  querystring?: JsonSchema;
  body?: JsonSchema;
  response?: Record<string, unknown>;
  [key: string]: unknown;
}

export const PROBLEM_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    code: { type: 'string', description: 'stable machine-readable code, e.g. validation_failed' },
    request_id: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const ERROR_TEXT: Record<string, string> = {
  400: 'Invalid input: `errors` names every invalid field',
  401: 'No valid API key',
  403: 'The API key lacks the scope',
  404: 'Not found',
  409: 'Conflict (already exists, still referenced, or changed meanwhile)',
  412: 'If-Match did not match the current version',
  429: 'Rate limit exceeded; see Retry-After',
  500: 'Unexpected error, logged with the request id',
  503: 'A backend (database, Redis) is unavailable',
};

const BULK_RESULT: JsonSchema = {
  type: 'object',
  required: ['results', 'succeeded', 'failed'],
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'status'],
        properties: { index: { type: 'integer' }, status: { type: 'integer' }, data: {}, error: PROBLEM_SCHEMA },
      },
    },
    succeeded: { type: 'integer' },
    failed: { type: 'integer' },
  },
};
const BATCH_RESULT: JsonSchema = {
  type: 'object',
  required: ['responses'],
  properties: {
    responses: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'status'],
        properties: { id: { type: 'string' }, status: { type: 'integer' }, headers: { type: 'object', additionalProperties: { type: 'string' } }, body: {} },
      },
    },
  },
};
const APPLIED_TASK: JsonSchema = {
  type: 'object',
  required: ['id', 'task', 'state'],
  properties: { id: { type: 'string' }, task: { type: 'string' }, queue: { type: 'string' }, state: { type: 'string', enum: ['PENDING'] } },
};

const problem = (code: string): JsonSchema => ({
  description: ERROR_TEXT[code] ?? 'Error',
  content: { 'application/problem+json': { schema: PROBLEM_SCHEMA } },
});
const json = (description: string, schema: JsonSchema): JsonSchema => ({ description, content: { 'application/json': { schema } } });

/** `@fastify/swagger`'s `transform` option. */
export function completeOpenApiOperation({ schema, url, route }: { schema: RouteSchema | undefined; url: string; route: { method: string | string[] } }): {
  schema: RouteSchema;
  url: string;
} {
  const method = (Array.isArray(route.method) ? route.method[0] : route.method)?.toUpperCase() ?? 'GET';
  const s: RouteSchema = { ...(schema ?? {}) };
  if (s.hide) return { schema: s, url };
  const segments = url.split('/').filter((p) => p !== '' && p !== 'api' && p !== 'v1');
  s.operationId ??= operationIdOf(method, segments);
  s.tags ??= [tagOf(url, segments)];
  s.summary ??= SUMMARIES[`${method} ${url}`] ?? summaryOf(method, segments);
  if (s.querystring) s.querystring = withOptionalDefaults(s.querystring);
  s.response = { ...successResponses(method, url, s.response), ...errorResponses(method, url, s) };
  return { schema: s, url };
}

function successResponses(method: string, url: string, declared: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [code, value] of Object.entries(declared ?? {})) if (/^2/.test(code)) out[code] = value;
  if (url.endsWith('/$bulk'))
    return {
      200: json('Every item succeeded', BULK_RESULT),
      207: json('Some items failed (partial mode): each result has its status and problem', BULK_RESULT),
    };
  if (url.endsWith('/$batch')) return { 200: json('One response per sub-request', BATCH_RESULT) };
  if (url.startsWith('/api/v1/') && method === 'DELETE' && url.endsWith('/:id')) return { 204: { description: 'Deleted', type: 'null' } };
  if (url === '/admin/tasks/apply/:name') return { 202: json('Accepted: read the task at GET /admin/tasks/jobs/{id}', APPLIED_TASK) };
  if (url === '/admin/keys' && method === 'POST')
    return { 201: out[201] ?? out[200] ?? json('Created; the key is shown only now', { type: 'object', additionalProperties: true }) };
  if (Object.keys(out).length === 0)
    out[method === 'POST' && !url.startsWith('/admin') ? 201 : 200] = json('Success', {
      type: 'object',
      additionalProperties: true,
      description: 'see the route description',
    });
  return out;
}

function errorResponses(method: string, url: string, s: RouteSchema): Record<string, unknown> {
  const codes = new Set<string>(['500']);
  if (url.startsWith('/api/') || url.startsWith('/admin')) ['401', '403', '503'].forEach((c) => codes.add(c));
  if (url.startsWith('/api/')) codes.add('429');
  if (s.params || s.querystring || s.body || method !== 'GET') codes.add('400');
  if (s.params) codes.add('404');
  if (url.startsWith('/api/') && method !== 'GET') codes.add('409');
  if (url.startsWith('/api/') && (method === 'PATCH' || method === 'DELETE') && url.endsWith('/:id')) codes.add('412');
  return Object.fromEntries([...codes].sort().map((c) => [c, problem(c)]));
}

/** A client may omit a query parameter that has a default; generators must not mark it required. */
function withOptionalDefaults(query: JsonSchema): JsonSchema {
  const properties = (query.properties ?? {}) as Record<string, JsonSchema>;
  const required = Array.isArray(query.required) ? (query.required as string[]) : [];
  const kept = required.filter((name) => properties[name]?.default === undefined);
  const { required: _dropped, ...rest } = query;
  return kept.length > 0 ? { ...rest, required: kept } : rest;
}

function words(segments: string[]): string[] {
  return segments
    .map((p) => (p.startsWith(':') ? `by ${p.slice(1)}` : p.replace(/^\$/, '')))
    .flatMap((p) => p.split(/[-_ ]/))
    .filter(Boolean);
}

function operationIdOf(method: string, segments: string[]): string {
  const parts = [method.toLowerCase(), ...words(segments)];
  return parts.map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join('');
}

function tagOf(url: string, segments: string[]): string {
  if (url.startsWith('/admin')) return `admin: ${segments[1] ?? 'admin'}`;
  if (url.startsWith('/api/')) return segments[0]?.replace(/^\$/, '') ?? 'api';
  return 'operations';
}

/** Admin routes read best with a hand-written summary; any route not listed gets a derived one. */
const SUMMARIES: Record<string, string> = {
  'GET /admin/keys': 'List API keys',
  'POST /admin/keys': 'Create an API key (the secret is shown once)',
  'DELETE /admin/keys/:id': 'Revoke an API key',
  'GET /admin/db/pool': 'Connection pool statistics',
  'GET /admin/db/slow-queries': 'Slowest statements by fingerprint',
  'POST /admin/db/advise': 'Suggest indexes, verified by the planner',
  'GET /admin/db/indexes': 'Duplicate, unused and invalid indexes',
  'GET /admin/cache/stats': 'Cache statistics per tier',
  'GET /admin/cache/keys': 'List cache keys by pattern',
  'GET /admin/cache/keys/:key': 'Read one cache entry',
  'DELETE /admin/cache/keys/:key': 'Delete one cache entry',
  'POST /admin/cache/keys/delete': 'Delete cache entries by pattern or tag',
  'POST /admin/cache/namespaces/:name/bump': 'Invalidate a cache namespace at once (version bump; old keys age out)',
  'GET /admin/tasks/queues': 'Queues with job counts per state',
  'GET /admin/tasks/workers': 'Live workers: concurrency, last heartbeat and its age, running jobs',
  'GET /admin/tasks/registered': 'Registered task definitions',
  'GET /admin/tasks/jobs': 'Search tasks (newest first)',
  'POST /admin/tasks/apply/:name': 'Send a task by name (Flower apply-async)',
  'GET /admin/tasks/jobs/:id': 'A task: state, result, error, attempts',
  'POST /admin/tasks/jobs/:id/retry': 'Retry a failed task',
  'POST /admin/tasks/jobs/:id/revoke': 'Revoke or terminate a task',
  'POST /admin/tasks/queues/:name/purge': 'Drop waiting and delayed jobs of a queue',
  'GET /admin/tasks/schedules': 'Periodic schedules with their next run',
  'PUT /admin/tasks/schedules/:id': 'Edit a schedule (wins over the code until reset)',
  'DELETE /admin/tasks/schedules/:id': 'Reset a schedule to its code declaration',
  'POST /admin/tasks/schedules/:id/run': 'Run a scheduled task now',
  'GET /admin/alerts/rules': 'List alert rules (webhook secrets are never shown)',
  'POST /admin/alerts/rules': 'Create an alert rule',
  'GET /admin/alerts/rules/:id': 'Read an alert rule',
  'PUT /admin/alerts/rules/:id': 'Replace an alert rule',
  'DELETE /admin/alerts/rules/:id': 'Delete an alert rule and its incidents',
  'GET /admin/alerts/incidents': 'Alert incidents, newest first',
  'POST /admin/alerts/evaluate': 'Evaluate every alert rule now',
  'POST /api/v1/$batch': 'Run up to 20 API requests in one (JSON batching)',
};

const VERBS: Record<string, string> = { GET: 'Get', POST: 'Create', PUT: 'Replace', PATCH: 'Update', DELETE: 'Delete' };

function summaryOf(method: string, segments: string[]): string {
  const last = segments[segments.length - 1] ?? '';
  const subject = words(segments.filter((p) => p !== 'admin')).join(' ');
  if (method === 'GET' && !last.startsWith(':')) return `List ${subject}`;
  if (method === 'POST' && !last.startsWith(':') && segments.some((p) => p.startsWith(':'))) return `Run: ${subject}`;
  return `${VERBS[method] ?? method} ${subject}`;
}
