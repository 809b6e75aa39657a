import { Type } from 'typebox';
import type { Db } from '../db/index.ts';
import { OutboundClient } from '../outbound/index.ts';
import type { Logger } from '../shared/logger.ts';
import { defineTask, type ScheduleSpec, type TaskDefinition, type TaskSystem } from '../tasks/index.ts';
import { evaluateAlerts, type RuleOutcome } from './evaluate.ts';
import { createProbes, type ProbeDeps } from './probes.ts';

export const EVALUATE_ALERTS_TASK = 'sync.evaluate_alerts';

export interface AlertService {
  db: Db;
  evaluate(now?: Date): Promise<RuleOutcome[]>;
  tasks: TaskDefinition[];
  schedules: ScheduleSpec[];
  close(): Promise<void>;
}

export interface AlertServiceOptions extends Omit<ProbeDeps, 'tasks'> {
  tasks: () => TaskSystem;
  /** Hosts/IPs/CIDRs webhooks may reach although private (AI_STACK_OUTBOUND_ALLOW). */
  allow: readonly string[];
  logger?: Logger;
  /** Beat's interval; default one minute. */
  everyMs?: number;
}

/** Rules are evaluated by `sync.evaluate_alerts`, which Beat runs every minute. */
export function createAlertService(opts: AlertServiceOptions): AlertService {
  const outbound = new OutboundClient({ allow: opts.allow, timeoutMs: 10_000, maxBytes: 64 * 1024 });
  const probes = createProbes(opts);
  const evaluate = (now?: Date) => evaluateAlerts({ db: opts.db, probes, tasks: opts.tasks, outbound, ...(opts.logger ? { logger: opts.logger } : {}) }, now);
  const task = defineTask(
    EVALUATE_ALERTS_TASK,
    { queue: 'sync', args: Type.Object({}, { additionalProperties: false }), timeLimit: { soft: 120_000 } },
    async () => evaluate(),
  ) as TaskDefinition;
  return {
    db: opts.db,
    evaluate,
    tasks: [task],
    schedules: [{ id: `${EVALUATE_ALERTS_TASK}.every-1m`, task: EVALUATE_ALERTS_TASK, args: {}, every: opts.everyMs ?? 60_000 }],
    close: () => outbound.close(),
  };
}
