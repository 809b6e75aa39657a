import type { AlertKind, Severity } from '../../../src/alerts/kinds.ts';

// The server's own lists (src/alerts/kinds.ts imports nothing): a kind added there reaches the form as well.
export { ALERT_KINDS, SEVERITIES } from '../../../src/alerts/kinds.ts';

/** Alert rules and incidents as /admin/alerts returns them (and the `alerts` live event carries). */
export interface AlertRule {
  id: number;
  name: string;
  kind: AlertKind;
  threshold: number;
  queue: string | null;
  severity: Severity;
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
