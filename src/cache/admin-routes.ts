import type { FastifyPluginAsync } from 'fastify';
import type { Cache } from './cache.ts';
import { MAX_BROWSE_COUNT, MAX_DELETE_KEYS } from './admin.ts';
import { MAX_PATTERN_LENGTH } from './glob.ts';
import { ValidationError, type FieldIssue } from '../shared/errors.ts';

function toValidationError(failure: Error & { validation?: unknown; validationContext?: string }): ValidationError {
  const context = failure.validationContext ?? 'request';
  const list = Array.isArray(failure.validation) ? (failure.validation as { instancePath?: string; message?: string }[]) : [];
  const issues: FieldIssue[] = list.map((v) => ({ field: `${context}${v.instancePath ?? ''}`, message: v.message ?? 'invalid' }));
  return new ValidationError(`Invalid ${context}: ${failure.message}`, issues);
}

interface BrowseQuery {
  pattern?: string;
  cursor?: string;
  count?: number;
}
interface KeyParams {
  key: string;
}
interface DeleteBody {
  keys?: string[];
  pattern?: string;
}

const patternSchema = { type: 'string', minLength: 1, maxLength: MAX_PATTERN_LENGTH } as const;
const keySchema = { type: 'string', minLength: 1, maxLength: 4096 } as const;

/**
 * Admin endpoints (Redis Commander's role), relative to where they are mounted (e.g. /admin/cache).
 * Authentication is the mounting app's job. Errors are our typed errors (problem+json at the edge).
 *
 *   GET    /stats                         counters, L1 size, breaker, health
 *   GET    /keys?pattern=&cursor=&count=  one SCAN page with type, TTL and size
 *   GET    /keys/:key                     one key with its decoded value
 *   DELETE /keys/:key                     delete one key
 *   POST   /keys/delete {keys|pattern}    delete many keys
 *   POST   /namespaces/:name/bump         invalidate a namespace at once (version bump)
 */
export function cacheAdminRoutes(cache: Cache): FastifyPluginAsync {
  return async (app) => {
    const admin = cache.admin();
    // Schema failures become our ValidationError (problem+json with field issues), like every other error here.
    app.addHook('preHandler', async (request) => {
      const failure = request.validationError;
      if (failure !== undefined) throw toValidationError(failure);
    });

    app.get('/stats', async () => ({ ...cache.stats(), keyPrefix: admin.keyPrefix, health: await cache.health() }));

    app.get<{ Querystring: BrowseQuery }>(
      '/keys',
      {
        attachValidation: true,
        schema: {
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              pattern: patternSchema,
              cursor: { type: 'string', pattern: '^[0-9]{1,20}$' },
              count: { type: 'integer', minimum: 1, maximum: MAX_BROWSE_COUNT },
            },
          },
        },
      },
      async (request) => admin.browse(request.query.pattern ?? '*', request.query.cursor ?? '0', request.query.count ?? 100),
    );

    const keyRoute = {
      attachValidation: true,
      schema: { params: { type: 'object', additionalProperties: false, required: ['key'], properties: { key: keySchema } } },
    };

    app.get<{ Params: KeyParams }>('/keys/:key', keyRoute, async (request) => admin.read(request.params.key));

    app.delete<{ Params: KeyParams }>('/keys/:key', keyRoute, async (request) => ({ deleted: await admin.delete([request.params.key]) }));

    app.post<{ Params: { name: string } }>(
      '/namespaces/:name/bump',
      {
        attachValidation: true,
        schema: {
          params: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } },
          },
        },
      },
      async (request) => ({ namespace: request.params.name, version: await cache.namespace(request.params.name).bumpVersion() }),
    );

    app.post<{ Body: DeleteBody }>(
      '/keys/delete',
      {
        attachValidation: true,
        schema: {
          body: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            maxProperties: 1,
            properties: { keys: { type: 'array', minItems: 1, maxItems: MAX_DELETE_KEYS, items: keySchema }, pattern: patternSchema },
          },
        },
      },
      async (request) => {
        const { keys, pattern } = request.body;
        return { deleted: keys !== undefined ? await admin.delete(keys) : await admin.deletePattern(pattern as string) };
      },
    );
  };
}
