import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AiStackError } from '../shared/errors.ts';

/** What every response and log shows instead of a stored credential. */
export const MASK = '••••';

const VERSION = 'v1';
// Binds a sealed value to its purpose: a credential cannot be swapped in from another encrypted column.
const AAD = Buffer.from('ai-stack/sync-credential');

/** Credentials are refused, not stored in clear, when no key is configured. */
export class CredentialKeyMissingError extends AiStackError {
  constructor() {
    super('credentials cannot be stored: set AI_STACK_SYNC_KEY (32 random bytes, e.g. `openssl rand -hex 32`) on every node first', {
      code: 'sync_key_missing',
      status: 422,
    });
  }
}

/** AES-256-GCM: `v1:<iv>:<tag>:<ciphertext>`, base64 parts, a fresh 96-bit IV per value. */
export function seal(plain: string, key: Buffer | undefined): string {
  if (!key) throw new CredentialKeyMissingError();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(AAD);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
}

export function unseal(sealed: string, key: Buffer | undefined): string {
  if (!key) throw new CredentialKeyMissingError();
  const [version, iv, tag, body] = sealed.split(':');
  if (version !== VERSION || iv === undefined || tag === undefined || body === undefined)
    throw new AiStackError('a stored sync credential is not in the expected format', { code: 'sync_credential_unreadable' });
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64')).setAAD(AAD);
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  } catch (error) {
    // GCM's tag check failed: a different AI_STACK_SYNC_KEY than the one that sealed it, or a tampered value.
    throw new AiStackError('a stored sync credential cannot be decrypted: AI_STACK_SYNC_KEY differs from the key that stored it; set the credential again', {
      code: 'sync_credential_unreadable',
      cause: error,
    });
  }
}

/** Replaces every occurrence of a secret in a text meant for logs or stored errors. */
export function redact(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join(MASK) : text;
}
