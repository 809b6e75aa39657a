/**
 * ai-stack/mail: an outbox written in the business transaction, delivered by tasks over SMTP
 * (nodemailer) or, embedded, into `.eml` files; templates in English and Chinese; suppression
 * list and one-click unsubscribe. See docs/mail.md.
 */
export { createMailService, type MailService, type MailServiceOptions } from './service.ts';
export { enqueueMail, enqueueMany, type OutboxMessage, type Enqueued, type OutboxRow } from './outbox.ts';
export { MailDelivery, type DeliveryStats } from './delivery.ts';
export { createSmtpTransport, createEmlTransport, type MailTransport, type EmlTransport, type EmlFile, type SmtpTransportOptions } from './transport.ts';
export type { OutgoingMessage, MailAttachment, SendResult } from './message.ts';
export { isValidAddress, normalizeAddress } from './message.ts';
export { TemplateRegistry, LOCALES, type Locale, type MailTemplate, type LocalizedTemplate, type RenderedMail, type TemplateVars } from './templates.ts';
export { BUILTIN_TEMPLATES } from './builtin-templates.ts';
export { TemplateError, MailPermanentError, MailTemporaryError, MailDeferredError, classifySendError } from './errors.ts';
export { toCsv } from './csv.ts';
export { UnsubscribeTokens, listUnsubscribeHeaders } from './unsubscribe.ts';
export {
  createMailTasks,
  SEND_EMAIL_TASK,
  SEND_BULK_EMAILS_TASK,
  SEND_REPORT_EMAIL_TASK,
  SEND_ALERT_EMAIL_TASK,
  DELIVER_OUTBOX_TASK,
  type MailTaskResult,
} from './tasks.ts';
export { mailAdminRoutes, mailPublicRoutes } from './routes.ts';
