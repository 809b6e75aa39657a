import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { AlertRuleInput } from './rules.ts';
import type { AlertService } from './service.ts';
import { createRule, deleteRule, getRuleRow, listRules, replaceRule, toView } from './store.ts';

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
      let query = db.kysely
        .selectFrom('alert_incidents')
        .innerJoin('alert_rules', 'alert_rules.id', 'alert_incidents.rule_id')
        .select(['alert_incidents.id', 'alert_incidents.rule_id', 'alert_rules.name as rule', 'opened_at', 'resolved_at', 'value', 'summary', 'notify_errors'])
        .orderBy('alert_incidents.id', 'desc')
        .limit(request.query.limit ?? 100);
      if (request.query.rule_id !== undefined) query = query.where('alert_incidents.rule_id', '=', request.query.rule_id);
      if (request.query.open !== undefined) query = query.where('resolved_at', request.query.open ? 'is' : 'is not', null);
      return { items: await query.execute() };
    });
    app.post('/alerts/evaluate', async () => ({ results: await alerts.evaluate() }));
  };
}
