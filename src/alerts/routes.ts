import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { AlertRuleInput } from './rules.ts';
import type { AlertService } from './service.ts';
import { createRule, deleteRule, getRuleRow, listIncidents, listRules, replaceRule, toView } from './store.ts';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const IncidentQuery = Type.Object(
  {
    rule_id: Type.Optional(Type.Integer({ minimum: 1 })),
    open: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);

/** /admin/alerts: rules (the webhook secret is write-only), incidents, and an evaluation on demand. */
export function alertAdminRoutes(alerts: AlertService) {
  const db = alerts.db;
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/alerts/rules', async () => ({ items: (await listRules(db)).map(toView) }));
    app.post<{ Body: AlertRuleInput }>('/alerts/rules', { schema: { body: AlertRuleInput } }, async (request, reply) =>
      reply.code(201).send(await createRule(db, request.body)),
    );
    app.get<{ Params: Static<typeof IdParams> }>('/alerts/rules/:id', { schema: { params: IdParams } }, async (request) =>
      toView(await getRuleRow(db, request.params.id)),
    );
    app.put<{ Params: Static<typeof IdParams>; Body: AlertRuleInput }>(
      '/alerts/rules/:id',
      { schema: { params: IdParams, body: AlertRuleInput } },
      async (request) => replaceRule(db, request.params.id, request.body),
    );
    app.delete<{ Params: Static<typeof IdParams> }>('/alerts/rules/:id', { schema: { params: IdParams } }, async (request, reply) => {
      await deleteRule(db, request.params.id);
      return reply.code(204).send();
    });
    app.get<{ Querystring: Static<typeof IncidentQuery> }>('/alerts/incidents', { schema: { querystring: IncidentQuery } }, async (request) => {
      const { rule_id: ruleId, open, limit } = request.query;
      return { items: await listIncidents(db, { ruleId, open, limit }) };
    });
    app.post('/alerts/evaluate', async () => ({ results: await alerts.evaluate() }));
  };
}
