import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { MailConfig } from '../config/index.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../shared/logger.ts';
import { BUILTIN_TEMPLATES } from './builtin-templates.ts';
import { MailDelivery } from './delivery.ts';
import { normalizeAddress } from './message.ts';
import { DomainRateLimiter } from './rate-limit.ts';
import { TemplateRegistry } from './templates.ts';
import { createEmlTransport, createSmtpTransport, type EmlTransport, type MailTransport } from './transport.ts';
import { listUnsubscribeHeaders, UnsubscribeTokens } from './unsubscribe.ts';

export interface MailServiceOptions {
  db: Db;
  config: MailConfig;
  dataDir: string;
  logger: Logger;
  /** Overrides the transport chosen from the config. */
  transport?: MailTransport;
}

/** Everything the mail tasks and routes share: transport, templates, delivery, suppression list. */
export interface MailService {
  readonly db: Db;
  readonly config: MailConfig;
  readonly transport: MailTransport;
  /** Set when the embedded `.eml` transport is in use. */
  readonly outboxDir: EmlTransport | undefined;
  readonly templates: TemplateRegistry;
  readonly delivery: MailDelivery;
  readonly tokens: UnsubscribeTokens;
  /** List-Unsubscribe headers for this address, or none when AI_STACK_PUBLIC_URL is unset. */
  unsubscribeHeaders(address: string): Record<string, string>;
  suppress(address: string, reason: string): Promise<void>;
  unsuppress(address: string): Promise<boolean>;
  close(): Promise<void>;
}

export function createMailService(options: MailServiceOptions): MailService {
  const { db, config, logger } = options;
  const eml = options.transport || config.smtpUrl ? undefined : createEmlTransport(join(options.dataDir, 'outbox'));
  const transport = options.transport ?? eml ?? createSmtpTransport({ url: config.smtpUrl as string });
  const tokens = new UnsubscribeTokens(config.secret ?? randomBytes(32).toString('hex'));
  const delivery = new MailDelivery({
    db: db.kysely,
    dialect: db.dialect,
    transport,
    limiter: new DomainRateLimiter(config.ratePerDomainPerSecond),
    logger,
    defaultFrom: config.from,
    retryBaseMs: config.retryBaseMs,
    maxAttempts: config.maxAttempts,
    leaseMs: config.leaseMs,
  });
  return {
    db,
    config,
    transport,
    outboxDir: eml,
    templates: new TemplateRegistry(BUILTIN_TEMPLATES),
    delivery,
    tokens,
    unsubscribeHeaders(address) {
      if (!config.publicUrl) return {};
      return listUnsubscribeHeaders(`${config.publicUrl}/mail/unsubscribe?token=${tokens.sign(address)}`);
    },
    async suppress(address, reason) {
      await db.kysely
        .insertInto('mail_suppressions')
        .values({ address: normalizeAddress(address), reason: reason.slice(0, 200), created_at: new Date().toISOString() })
        .onConflict((oc) => oc.column('address').doNothing())
        .execute();
    },
    async unsuppress(address) {
      const result = await db.kysely.deleteFrom('mail_suppressions').where('address', '=', normalizeAddress(address)).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    close: () => transport.close(),
  };
}
