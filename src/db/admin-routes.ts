import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { adviseIndexes, adviseSlowQueries, indexHealth } from './advisor/index.ts';
import type { Db } from './db.ts';
import { serverActivity } from './pool/index.ts';

const SlowQueriesQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
    all: Type.Optional(Type.Boolean({ description: 'Include fingerprints that never crossed the threshold' })),
  },
  { additionalProperties: false },
);

const AdviseBody = Type.Object(
  {
    sql: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000, description: 'One SELECT statement; omit to advise on the top slow queries' })),
    top: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 5 })),
    minSpeedup: Type.Optional(Type.Number({ minimum: 1, maximum: 1_000_000 })),
    params: Type.Optional(
      Type.Array(Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean(), Type.Null()]), {
        maxItems: 100,
        description: 'Values for the placeholders: PostgreSQL plans with them instead of a generic plan',
      }),
    ),
    measure: Type.Optional(
      Type.Boolean({ description: 'PostgreSQL: also build each proposal inside the rolled-back transaction and time the statement (SQLite always does)' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * Database toolkit over HTTP, with paths relative to where the caller mounts it (under /admin,
 * behind the admin scope): pool stats, slow-query statistics, index advice and index health.
 */
export function dbAdminRoutes(db: Db) {
  return async (app: FastifyInstance): Promise<void> => {
    // PostgreSQL adds the server's view (idle-in-transaction sessions, lock waits, oldest transaction).
    app.get('/db/pool', { schema: { tags: ['Admin'] } }, async () => ({ ...db.pool.stats(), server: (await serverActivity(db)) ?? null }));

    app.get('/db/slow-queries', { schema: { tags: ['Admin'], querystring: SlowQueriesQuery } }, async (request) => {
      const query = request.query as { limit?: number; all?: boolean };
      return {
        enabled: db.slowQueries !== undefined,
        thresholdMs: db.slowQueries?.thresholdMs ?? null,
        data: db.slowQueries?.getSlowQueries({ limit: query.limit, all: query.all }) ?? [],
      };
    });

    app.post('/db/advise', { schema: { tags: ['Admin'], body: AdviseBody } }, async (request) => {
      const body = (request.body ?? {}) as { sql?: string; top?: number; minSpeedup?: number; params?: unknown[]; measure?: boolean };
      const options = { minSpeedup: body.minSpeedup, params: body.params, measure: body.measure };
      if (body.sql !== undefined) return { data: [await adviseIndexes(db, body.sql, options)] };
      // Dexter's log mode: the top fingerprints of the slow-query log, and their proposals merged.
      const workload = await adviseSlowQueries(db, { ...options, top: body.top });
      return { data: workload.queries, indexes: workload.indexes };
    });

    app.get('/db/indexes', { schema: { tags: ['Admin'] } }, async () => indexHealth(db));
  };
}
