/** Alert rules and incidents as /admin/alerts returns them (and the `alerts` live event carries). */
export const ALERT_KINDS = [
  'failed_tasks',
  'queue_backlog',
  'oldest_waiting_minutes',
  'slow_queries',
  'readiness_failures',
  'disk_free_mb',
  'backup_age_hours',
] as const;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;

export interface AlertRule {
  id: number;
  name: string;
  kind: (typeof ALERT_KINDS)[number];
  threshold: number;
  queue: string | null;
  severity: (typeof SEVERITIES)[number];
  cooldown_seconds: number;
  emails: string[];
  webhook: { url: string; secret: '(set)' } | null;
  enabled: boolean;
}

export interface Incident {
  id: number;
  rule_id: number;
  rule: string;
  opened_at: string;
  resolved_at: string | null;
  value: number;
  summary: string;
  notify_errors: string | null;
}

/** The `alerts` event; a source that failed on the server arrives as `{ error }`. */
export type AlertDigest = { open: number; recent: Incident[] } | { error: string };
