// Imported by the server and by the web console (web/src/pages/alerts.ts), so it imports nothing.

/** What a rule measures; `disk_free_mb` fires below its threshold, every other kind above it. */
export const ALERT_KINDS = [
  'failed_tasks',
  'queue_backlog',
  'oldest_waiting_minutes',
  'slow_queries',
  'readiness_failures',
  'disk_free_mb',
  'backup_age_hours',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
