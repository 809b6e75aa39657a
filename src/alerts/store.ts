import type { Selectable } from 'kysely';
import type { Db } from '../db/index.ts';
import type { AlertRulesTable } from '../db/schema.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import type { AlertKind, AlertRuleInput, AlertRuleView } from './rules.ts';

export type AlertRuleRow = Selectable<AlertRulesTable>;

export function toView(row: AlertRuleRow): AlertRuleView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as AlertKind,
    threshold: Number(row.threshold),
    queue: row.queue,
    severity: row.severity,
    cooldown_seconds: row.cooldown_seconds,
    emails: JSON.parse(row.emails) as string[],
    webhook: row.webhook_url ? { url: row.webhook_url, secret: '(set)' } : null,
    enabled: Number(row.enabled) === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function columns(input: AlertRuleInput) {
  return {
    name: input.name,
    kind: input.kind,
    threshold: input.threshold,
    queue: input.queue ?? null,
    severity: input.severity ?? 'warning',
    cooldown_seconds: input.cooldown_seconds ?? 300,
    emails: JSON.stringify(input.emails ?? []),
    webhook_url: input.webhook?.url ?? null,
    webhook_secret: input.webhook?.secret ?? null,
    enabled: input.enabled === false ? 0 : 1,
  };
}

export async function createRule(db: Db, input: AlertRuleInput): Promise<AlertRuleView> {
  await assertNameFree(db, input.name);
  const row = await db.kysely.insertInto('alert_rules').values(columns(input)).returningAll().executeTakeFirstOrThrow();
  return toView(row);
}

export async function replaceRule(db: Db, id: number, input: AlertRuleInput): Promise<AlertRuleView> {
  await getRuleRow(db, id);
  await assertNameFree(db, input.name, id);
  const row = await db.kysely
    .updateTable('alert_rules')
    .set({ ...columns(input), updated_at: new Date().toISOString() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toView(row);
}

export async function deleteRule(db: Db, id: number): Promise<void> {
  await getRuleRow(db, id);
  // Incidents go with their rule (no foreign-key cascade is relied on: SQLite enforces it only per connection setting).
  await db.kysely.transaction().execute(async (trx) => {
    await trx.deleteFrom('alert_incidents').where('rule_id', '=', id).execute();
    await trx.deleteFrom('alert_rules').where('id', '=', id).execute();
  });
}

export async function getRuleRow(db: Db, id: number): Promise<AlertRuleRow> {
  const row = await db.kysely.selectFrom('alert_rules').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(`Alert rule ${id}`);
  return row;
}

export async function listRules(db: Db): Promise<AlertRuleRow[]> {
  return db.kysely.selectFrom('alert_rules').selectAll().orderBy('id').execute();
}

async function assertNameFree(db: Db, name: string, except?: number): Promise<void> {
  let query = db.kysely.selectFrom('alert_rules').select('id').where('name', '=', name);
  if (except !== undefined) query = query.where('id', '!=', except);
  if (await query.executeTakeFirst()) throw new ConflictError(`an alert rule named "${name}" exists already`, { code: 'alert_rule_exists' });
}

export interface IncidentQuery {
  ruleId?: number;
  open?: boolean;
  limit?: number;
}

/** Incidents newest first, each with its rule's name. */
export async function listIncidents(db: Db, query: IncidentQuery = {}) {
  let select = db.kysely
    .selectFrom('alert_incidents')
    .innerJoin('alert_rules', 'alert_rules.id', 'alert_incidents.rule_id')
    .select(['alert_incidents.id', 'alert_incidents.rule_id', 'alert_rules.name as rule', 'opened_at', 'resolved_at', 'value', 'summary', 'notify_errors'])
    .orderBy('alert_incidents.id', 'desc')
    .limit(query.limit ?? 100);
  if (query.ruleId !== undefined) select = select.where('alert_incidents.rule_id', '=', query.ruleId);
  if (query.open !== undefined) select = select.where('resolved_at', query.open ? 'is' : 'is not', null);
  return select.execute();
}

export type IncidentView = Awaited<ReturnType<typeof listIncidents>>[number];

/** What the console's overview shows live: how many incidents are open, and the newest few. */
export async function alertDigest(db: Db, recent = 5): Promise<{ open: number; recent: IncidentView[] }> {
  const open = await db.kysely
    .selectFrom('alert_incidents')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('resolved_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { open: Number(open.n), recent: await listIncidents(db, { limit: recent }) };
}
