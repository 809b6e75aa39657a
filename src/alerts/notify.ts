import { createHmac, timingSafeEqual } from 'node:crypto';
import { SEND_ALERT_EMAIL_TASK } from '../mail/index.ts';
import type { OutboundClient } from '../outbound/index.ts';
import type { TaskSystem } from '../tasks/index.ts';
import type { AlertRuleRow } from './store.ts';

export interface AlertEvent {
  rule: string;
  ruleId: number;
  incidentId: number;
  state: 'firing' | 'resolved';
  severity: 'info' | 'warning' | 'critical';
  value: number;
  summary: string;
  at: string;
}

export const SIGNATURE_HEADER = 'x-ai-stack-signature';
export const TIMESTAMP_HEADER = 'x-ai-stack-timestamp';

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the timestamp is signed too, so a captured call cannot be replayed later. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers: checks the signature and that the timestamp is within `toleranceSeconds` of now. */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > toleranceSeconds || !headers.signature) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const actual = Buffer.from(headers.signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Sends one event on the rule's channels. Email goes through the outbox (its idempotency key is the
 * incident and state, so a retried evaluation never mails twice); the webhook is called once. Returns
 * the channels' errors, empty when all succeeded.
 */
export async function notify(rule: AlertRuleRow, event: AlertEvent, deps: { tasks: TaskSystem; outbound: OutboundClient }): Promise<string[]> {
  const errors: string[] = [];
  const emails = JSON.parse(rule.emails) as string[];
  if (emails.length > 0) {
    await deps.tasks
      .send(SEND_ALERT_EMAIL_TASK, {
        to: emails,
        rule: event.rule,
        severity: event.severity,
        state: event.state,
        summary: event.summary,
        idempotencyKey: `alert-${event.incidentId}-${event.state}`,
      })
      .catch((error: unknown) => errors.push(`email: ${(error as Error).message}`));
  }
  if (rule.webhook_url && rule.webhook_secret) {
    const body = JSON.stringify(event);
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const response = await deps.outbound.fetch(rule.webhook_url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(rule.webhook_secret, timestamp, body),
        },
        body,
      });
      if (response.status >= 300) errors.push(`webhook: HTTP ${response.status}`);
    } catch (error) {
      errors.push(`webhook: ${(error as Error).message}`);
    }
  }
  return errors;
}
