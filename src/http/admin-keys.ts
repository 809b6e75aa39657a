import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ApiKeyService } from '../auth/index.ts';
import { SCOPES } from '../auth/index.ts';

const KeyCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scopes: Type.Array(Type.Unsafe<(typeof SCOPES)[number]>({ type: 'string', enum: [...SCOPES] }), { minItems: 1, maxItems: 3, uniqueItems: true }),
    expires_at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

/** API-key management over HTTP, mounted under /admin (admin scope). The secret is returned once, at creation. */
export function apiKeyAdminRoutes(keys: ApiKeyService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/keys', { schema: { tags: ['Admin'] } }, async () => ({ data: await keys.list() }));

    app.post('/keys', { schema: { tags: ['Admin'], body: KeyCreate } }, async (request, reply) => {
      const body = request.body as { name: string; scopes: (typeof SCOPES)[number][]; expires_at?: string };
      const expiresAt = body.expires_at === undefined ? null : new Date(body.expires_at).toISOString();
      const { key, info } = await keys.create({ name: body.name, scopes: body.scopes, expiresAt });
      return reply.code(201).send({ ...info, key });
    });

    app.delete(
      '/keys/:id',
      { schema: { tags: ['Admin'], params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }, { additionalProperties: false }) } },
      async (request) => keys.revoke((request.params as { id: number }).id),
    );
  };
}
