/** A file attached to a message; `cid` makes it an inline part that HTML can show with `<img src="cid:…">`. */
export interface MailAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
  cid?: string;
}

/** One fully rendered message to one recipient: what a transport sends. */
export interface OutgoingMessage {
  /** `<…@…>`, chosen when the message entered the outbox and kept across retries. */
  messageId: string;
  from: string;
  /** An address, or a display name and an address (nodemailer encodes non-ASCII names per RFC 2047). */
  to: string | { name: string; address: string };
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  attachments?: MailAttachment[];
}

/** What a transport reports for an accepted message. */
export interface SendResult {
  /** The server's answer (`250 OK …`), or where the embedded transport wrote the file. */
  response: string;
}

const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** A plain `local@domain` address with a dotted domain; display names go in a separate field. */
export function isValidAddress(address: string): boolean {
  return address.length <= 254 && ADDRESS.test(address);
}

/** The address as the suppression list and the idempotency key compare it. */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

export function domainOf(address: string): string {
  return normalizeAddress(address).split('@').pop() ?? '';
}
