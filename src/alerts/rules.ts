import { Type, type Static } from 'typebox';
import type { AlertKind, Severity } from './kinds.ts';

export { ALERT_KINDS, SEVERITIES, type AlertKind, type Severity } from './kinds.ts';

export const AlertRuleInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._\\-]*$' }),
    // Literals spelled out (not ALERT_KINDS.map): a mapped array loses its members in the emitted .d.ts, and a
    // user's `kind: 'backup_age_hours'` would not typecheck against the installed package.
    kind: Type.Union([
      Type.Literal('failed_tasks'),
      Type.Literal('queue_backlog'),
      Type.Literal('oldest_waiting_minutes'),
      Type.Literal('slow_queries'),
      Type.Literal('readiness_failures'),
      Type.Literal('disk_free_mb'),
      Type.Literal('backup_age_hours'),
    ]),
    threshold: Type.Number({ minimum: 0, maximum: 1e12 }),
    /** Queue rules only: one queue instead of all. */
    queue: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    severity: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')])),
    /** After an incident resolves, no new one opens for this long (flapping). Default 300. */
    cooldown_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 86_400 })),
    emails: Type.Optional(Type.Array(Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' }), { maxItems: 20 })),
    webhook: Type.Optional(
      Type.Object(
        {
          url: Type.String({ minLength: 8, maxLength: 2000, pattern: '^https?://' }),
          /** Signs every call (HMAC-SHA256); stored, never shown again. */
          secret: Type.String({ minLength: 32, maxLength: 200 }),
        },
        { additionalProperties: false },
      ),
    ),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type AlertRuleInput = Static<typeof AlertRuleInput>;

/** A rule as the API shows it: the webhook secret is never returned. */
export interface AlertRuleView {
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
  created_at: string;
  updated_at: string;
}

export function firesOn(kind: AlertKind, value: number, threshold: number): boolean {
  return kind === 'disk_free_mb' ? value < threshold : value > threshold;
}
