// ai-stack/alerts: rules over what the system measures, one notification per incident (email, signed webhook), evaluated by Beat.
export { createAlertService, EVALUATE_ALERTS_TASK, type AlertService, type AlertServiceOptions } from './service.ts';
export { alertAdminRoutes } from './routes.ts';
export { ALERT_KINDS, AlertRuleInput, firesOn, type AlertKind, type AlertRuleView } from './rules.ts';
export { alertDigest, createRule, deleteRule, listIncidents, listRules, replaceRule, type IncidentQuery, type IncidentView } from './store.ts';
export { signWebhook, verifyWebhookSignature, SIGNATURE_HEADER, TIMESTAMP_HEADER, type AlertEvent } from './notify.ts';
export type { RuleOutcome } from './evaluate.ts';
