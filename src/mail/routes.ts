import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { isValidAddress } from './message.ts';
import type { MailService } from './service.ts';
import { LOCALES } from './templates.ts';

const STATUSES = ['pending', 'sending', 'sent', 'failed', 'suppressed'] as const;
const OutboxQuery = Type.Object(
  {
    status: Type.Optional(Type.Union(STATUSES.map((s) => Type.Literal(s)))),
    batch_id: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    after_id: Type.Optional(Type.Integer({ minimum: 0 })),
    before_id: Type.Optional(Type.Integer({ minimum: 1, description: 'only rows with a smaller id: the next page when newest first' })),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'by id; `desc` lists the newest first (default `asc`)' })),
  },
  { additionalProperties: false },
);
const PreviewBody = Type.Object(
  {
    template: Type.String({ maxLength: 64 }),
    locale: Type.Optional(Type.Union(LOCALES.map((l) => Type.Literal(l)))),
    vars: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown()),
  },
  { additionalProperties: false },
);
const SuppressionBody = Type.Object(
  { address: Type.String({ minLength: 3, maxLength: 254 }), reason: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
const FileParams = Type.Object({ file: Type.String({ pattern: '^[A-Za-z0-9._@-]{1,210}\\.eml$' }) });
const AddressParams = Type.Object({ address: Type.String({ minLength: 3, maxLength: 254 }) });

/** /admin/mail: the outbox (rows and, embedded, the .eml files), template preview, suppression list. */
export function mailAdminRoutes(mail: MailService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get<{ Querystring: Static<typeof OutboxQuery> }>('/mail/outbox', { schema: { querystring: OutboxQuery } }, async (request) => {
      const q = request.query;
      let query = mail.db.kysely
        .selectFrom('mail_outbox')
        .select([
          'id',
          'message_id',
          'batch_id',
          'kind',
          'recipient',
          'subject',
          'status',
          'attempts',
          'next_attempt_at',
          'last_error',
          'response_code',
          'sent_at',
          'created_at',
        ])
        .where('id', '>', q.after_id ?? 0)
        .orderBy('id', q.order ?? 'asc')
        .limit(q.limit ?? 100);
      if (q.before_id !== undefined) query = query.where('id', '<', q.before_id);
      if (q.status) query = query.where('status', '=', q.status);
      if (q.batch_id) query = query.where('batch_id', '=', q.batch_id);
      const items = await query.execute();
      return { transport: mail.transport.kind, items };
    });

    app.get('/mail/outbox/files', async () => {
      if (!mail.outboxDir) return { transport: mail.transport.kind, files: [] };
      return { transport: 'eml', dir: mail.outboxDir.dir, files: await mail.outboxDir.list() };
    });

    app.get<{ Params: Static<typeof FileParams> }>('/mail/outbox/files/:file', { schema: { params: FileParams } }, async (request, reply) => {
      const dir = mail.outboxDir;
      if (!dir) throw new NotFoundError('The .eml outbox (AI_STACK_SMTP_URL is set)');
      const files = await dir.list();
      if (!files.some((f) => f.file === request.params.file)) throw new NotFoundError(`Message file ${request.params.file}`);
      return reply.type('message/rfc822').send(createReadStream(join(dir.dir, request.params.file)));
    });

    app.get('/mail/templates', async () => ({
      items: mail.templates.names().map((name) => {
        const t = mail.templates.get(name);
        return { name, variables: t.variables, locales: Object.keys(t.locales) };
      }),
    }));

    app.post<{ Body: Static<typeof PreviewBody> }>('/mail/preview', { schema: { body: PreviewBody } }, async (request) => {
      const { template, locale, vars } = request.body;
      return mail.templates.render(template, locale ?? 'en', vars);
    });

    app.get('/mail/suppressions', async () => ({
      items: await mail.db.kysely.selectFrom('mail_suppressions').selectAll().orderBy('address').limit(10_000).execute(),
    }));

    app.post<{ Body: Static<typeof SuppressionBody> }>('/mail/suppressions', { schema: { body: SuppressionBody } }, async (request, reply) => {
      if (!isValidAddress(request.body.address.trim()))
        throw new ValidationError('not an e-mail address', [{ field: '/address', message: 'must look like name@example.com' }]);
      await mail.suppress(request.body.address, request.body.reason ?? 'added by an administrator');
      return reply.code(201).send({ address: request.body.address.trim().toLowerCase() });
    });

    app.delete<{ Params: Static<typeof AddressParams> }>('/mail/suppressions/:address', { schema: { params: AddressParams } }, async (request, reply) => {
      if (!(await mail.unsuppress(request.params.address))) throw new NotFoundError(`Suppression of ${request.params.address}`);
      return reply.code(204).send();
    });
  };
}

const TokenQuery = Type.Object({ token: Type.String({ minLength: 3, maxLength: 1200 }) });

/**
 * Public, unauthenticated: /mail/unsubscribe. POST is RFC 8058's one-click (the mail client posts
 * `List-Unsubscribe=One-Click`); GET only shows a confirmation form, because link scanners fetch GETs.
 */
export function mailPublicRoutes(mail: MailService) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => done(null, body));
    const addressOf = (token: string): string => {
      const address = mail.tokens.verify(token);
      if (!address) throw new ValidationError('This unsubscribe link is invalid or was altered', [{ field: 'token', message: 'bad signature' }]);
      return address;
    };

    app.get<{ Querystring: Static<typeof TokenQuery> }>('/mail/unsubscribe', { schema: { querystring: TokenQuery, hide: true } }, async (request, reply) => {
      addressOf(request.query.token);
      const action = `?token=${encodeURIComponent(request.query.token)}`;
      return reply
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><meta charset="utf-8"><title>Unsubscribe</title><form method="post" action="${action}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button>Unsubscribe / 退订</button></form>`,
        );
    });

    app.post<{ Querystring: Static<typeof TokenQuery> }>('/mail/unsubscribe', { schema: { querystring: TokenQuery, hide: true } }, async (request) => {
      const address = addressOf(request.query.token);
      await mail.suppress(address, 'unsubscribed (one-click)');
      return { unsubscribed: true };
    });
  };
}
