import { createHmac, timingSafeEqual } from 'node:crypto';
import { normalizeAddress } from './message.ts';

/** Signed unsubscribe tokens: `base64url(address).base64url(hmac)`, so a link unsubscribes only its own address. */
export class UnsubscribeTokens {
  readonly #secret: string;

  constructor(secret: string) {
    this.#secret = secret;
  }

  sign(address: string): string {
    const payload = Buffer.from(normalizeAddress(address)).toString('base64url');
    return `${payload}.${this.#mac(payload)}`;
  }

  /** The address a token was made for, or undefined when it is malformed or forged. */
  verify(token: string): string | undefined {
    if (token.length > 1200) return undefined;
    const [payload, mac, extra] = token.split('.');
    if (!payload || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.#mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return Buffer.from(payload, 'base64url').toString('utf8');
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#secret).update(`unsubscribe:${payload}`).digest('base64url');
  }
}

/** RFC 8058 headers: a one-click POST to `url` unsubscribes without further confirmation. */
export function listUnsubscribeHeaders(url: string): Record<string, string> {
  return { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}
