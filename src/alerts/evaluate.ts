import type { Db } from '../db/index.ts';
import type { Logger } from '../shared/logger.ts';
import { notify, type AlertEvent } from './notify.ts';
import type { Probe } from './probes.ts';
import { firesOn, type AlertKind } from './rules.ts';
import { listRules, type AlertRuleRow } from './store.ts';
import type { OutboundClient } from '../outbound/index.ts';
import type { TaskSystem } from '../tasks/index.ts';

export interface EvaluationDeps {
  db: Db;
  probes: Record<AlertKind, Probe>;
  tasks: () => TaskSystem;
  outbound: OutboundClient;
  logger?: Logger;
}

export interface RuleOutcome {
  rule: string;
  value: number | null;
  /** `opened`/`resolved` sent a notification; `firing` = still open (no repeat); `cooling` = would fire but inside the cool-down. */
  outcome: 'ok' | 'opened' | 'firing' | 'resolved' | 'cooling' | 'error';
  detail?: string;
}

/**
 * One pass over the enabled rules. An incident opens when a rule starts firing (one notification),
 * stays open without repeats while it fires, and resolves once (one "resolved") when it clears. The
 * open-incident unique index and the conditional resolve make two concurrent evaluators agree.
 */
export async function evaluateAlerts(deps: EvaluationDeps, now = new Date()): Promise<RuleOutcome[]> {
  const outcomes: RuleOutcome[] = [];
  for (const rule of await listRules(deps.db)) {
    if (Number(rule.enabled) !== 1) continue;
    try {
      outcomes.push(await evaluateRule(rule, deps, now));
    } catch (error) {
      deps.logger?.warn({ err: error, rule: rule.name }, 'alert rule could not be evaluated');
      outcomes.push({ rule: rule.name, value: null, outcome: 'error', detail: (error as Error).message });
    }
  }
  return outcomes;
}

async function evaluateRule(rule: AlertRuleRow, deps: EvaluationDeps, now: Date): Promise<RuleOutcome> {
  const kind = rule.kind as AlertKind;
  const probe = deps.probes[kind];
  if (!probe) throw new Error(`unknown alert kind "${rule.kind}"`);
  const { value, summary } = await probe({ id: rule.id, queue: rule.queue });
  const firing = firesOn(kind, value, Number(rule.threshold));
  const db = deps.db.kysely;
  const open = await db.selectFrom('alert_incidents').selectAll().where('rule_id', '=', rule.id).where('resolved_at', 'is', null).executeTakeFirst();
  const event = (incidentId: number, state: AlertEvent['state']): AlertEvent => ({
    rule: rule.name,
    ruleId: rule.id,
    incidentId,
    state,
    severity: rule.severity,
    value,
    summary,
    at: now.toISOString(),
  });

  if (firing && !open) {
    const last = await db.selectFrom('alert_incidents').select('resolved_at').where('rule_id', '=', rule.id).orderBy('id', 'desc').executeTakeFirst();
    if (last?.resolved_at && now.getTime() - Date.parse(last.resolved_at) < rule.cooldown_seconds * 1000) return { rule: rule.name, value, outcome: 'cooling' };
    let incidentId: number;
    try {
      const row = await db
        .insertInto('alert_incidents')
        .values({ rule_id: rule.id, opened_at: now.toISOString(), value, summary })
        .returning('id')
        .executeTakeFirstOrThrow();
      incidentId = row.id;
    } catch {
      // Another evaluator opened it a moment ago and notifies for it.
      return { rule: rule.name, value, outcome: 'firing' };
    }
    await recordErrors(deps, incidentId, await notify(rule, event(incidentId, 'firing'), { tasks: deps.tasks(), outbound: deps.outbound }));
    return { rule: rule.name, value, outcome: 'opened' };
  }
  if (!firing && open) {
    const resolved = await db
      .updateTable('alert_incidents')
      .set({ resolved_at: now.toISOString(), value })
      .where('id', '=', open.id)
      .where('resolved_at', 'is', null)
      .executeTakeFirst();
    if (Number(resolved.numUpdatedRows) === 0) return { rule: rule.name, value, outcome: 'ok' };
    await recordErrors(deps, open.id, await notify(rule, event(open.id, 'resolved'), { tasks: deps.tasks(), outbound: deps.outbound }));
    return { rule: rule.name, value, outcome: 'resolved' };
  }
  if (open) await db.updateTable('alert_incidents').set({ value, summary }).where('id', '=', open.id).execute();
  return { rule: rule.name, value, outcome: firing ? 'firing' : 'ok' };
}

async function recordErrors(deps: EvaluationDeps, incidentId: number, errors: string[]): Promise<void> {
  if (errors.length === 0) return;
  deps.logger?.warn({ incidentId, errors }, 'alert notification failed');
  await deps.db.kysely
    .updateTable('alert_incidents')
    .set({ notify_errors: errors.join('; ').slice(0, 2000) })
    .where('id', '=', incidentId)
    .execute();
}
