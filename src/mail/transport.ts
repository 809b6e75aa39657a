import { mkdirSync } from 'node:fs';
import { readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type NodemailerModule from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type StreamTransport from 'nodemailer/lib/stream-transport/index.js';
import { classifySendError } from './errors.ts';
import type { OutgoingMessage, SendResult } from './message.ts';

type Nodemailer = typeof NodemailerModule;
let nodemailer: Promise<Nodemailer> | undefined;
/** nodemailer (about 5 MB of heap) loads with the first message sent, not with every process that could send one. */
function loadNodemailer(): Promise<Nodemailer> {
  nodemailer ??= import('nodemailer').then((m) => m.default);
  return nodemailer;
}

/** Where messages leave the system: SMTP (nodemailer) or, embedded, `.eml` files in the data dir. */
export interface MailTransport {
  readonly kind: 'smtp' | 'eml';
  /** Resolves when the message was accepted; throws MailPermanentError or MailTemporaryError otherwise. */
  send(message: OutgoingMessage): Promise<SendResult>;
  /** How many messages this transport can usefully have in flight at once. */
  readonly concurrency: number;
  close(): Promise<void>;
}

export function toNodemailer(message: OutgoingMessage): Mail.Options {
  return {
    messageId: message.messageId,
    from: message.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    ...(message.html === undefined ? {} : { html: message.html }),
    ...(message.headers ? { headers: message.headers } : {}),
    attachments: (message.attachments ?? []).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
      ...(a.cid ? { cid: a.cid } : {}),
    })),
  };
}

export interface SmtpTransportOptions {
  /** smtp[s]://user:pass@host:port[?requireTLS=true&tlsRejectUnauthorized=false] */
  url: string;
  /** Pooled connections (default 4). */
  maxConnections?: number;
}

/**
 * SMTP through nodemailer's pool. smtp:// upgrades with STARTTLS whenever the server offers it
 * (`requireTLS=true` refuses servers that do not); smtps:// is TLS from the first byte.
 */
export function createSmtpTransport(options: SmtpTransportOptions): MailTransport {
  const url = new URL(options.url);
  const maxConnections = options.maxConnections ?? 4;
  const settings: SMTPPool.Options = {
    pool: true,
    maxConnections,
    maxMessages: Infinity,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (url.protocol === 'smtps:' ? 465 : 587) : Number(url.port),
    secure: url.protocol === 'smtps:',
    requireTLS: url.searchParams.get('requireTLS') === 'true',
    tls: { rejectUnauthorized: url.searchParams.get('tlsRejectUnauthorized') !== 'false' },
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    // nodemailer's defaults (2 min connect, 10 min idle socket) outlive any sensible delivery lease.
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  };
  let transporter: Mail<SMTPPool.SentMessageInfo, SMTPPool.Options> | undefined;
  return {
    kind: 'smtp',
    concurrency: maxConnections,
    async send(message) {
      try {
        transporter ??= (await loadNodemailer()).createTransport(settings);
        const info = await transporter.sendMail(toNodemailer(message));
        return { response: String(info.response) };
      } catch (error) {
        throw classifySendError(error);
      }
    },
    async close() {
      transporter?.close();
    },
  };
}

export interface EmlFile {
  file: string;
  bytes: number;
  modifiedAt: string;
}

/** The embedded transport: each message becomes `<outbox dir>/<message id>.eml`, readable by any mail client. */
export interface EmlTransport extends MailTransport {
  readonly dir: string;
  list(): Promise<EmlFile[]>;
}

export function createEmlTransport(dir: string): EmlTransport {
  mkdirSync(dir, { recursive: true });
  let builder: Mail<StreamTransport.SentMessageInfo, StreamTransport.Options> | undefined;
  return {
    kind: 'eml',
    dir,
    concurrency: 1,
    async send(message) {
      builder ??= (await loadNodemailer()).createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
      const info = await builder.sendMail(toNodemailer(message));
      const name = `${fileNameOf(message.messageId)}.eml`;
      // Write then rename: a crash never leaves half a file, and a re-send of the same Message-ID replaces it.
      const temp = join(dir, `.${name}.${process.pid}.tmp`);
      await writeFile(temp, info.message as Buffer);
      await rename(temp, join(dir, name));
      return { response: `written ${name}` };
    },
    async list() {
      const names = (await readdir(dir)).filter((n) => n.endsWith('.eml')).sort();
      return Promise.all(
        names.map(async (file) => {
          const s = await stat(join(dir, file));
          return { file, bytes: s.size, modifiedAt: s.mtime.toISOString() };
        }),
      );
    },
    async close() {},
  };
}

/** A Message-ID as a safe file name: only `[A-Za-z0-9._@-]`, the rest replaced. */
export function fileNameOf(messageId: string): string {
  return messageId
    .replace(/^<|>$/g, '')
    .replace(/[^A-Za-z0-9._@-]/g, '_')
    .slice(0, 200);
}
