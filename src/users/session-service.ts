import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DatabaseSchema, UserRole } from '../db/schema.ts';

export interface Session {
  sessionId: number;
  userId: number;
  username: string;
  role: UserRole;
  csrfToken: string;
  expiresAt: string;
}

export const SESSION_TTL_MS = 12 * 60 * 60_000;
const MAX_TOKEN_LENGTH = 128;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Server-side sessions: the cookie holds 256 random bits; the database holds their hash and the CSRF token. */
export class SessionService {
  readonly #db: Kysely<DatabaseSchema>;
  readonly #ttlMs: number;

  constructor(db: Kysely<DatabaseSchema>, ttlMs = SESSION_TTL_MS) {
    this.#db = db;
    this.#ttlMs = ttlMs;
  }

  /** Always a fresh id: a session id planted before sign-in (fixation) never becomes an authenticated one. */
  async create(userId: number): Promise<{ token: string; csrfToken: string; expiresAt: string }> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = new Date(now + this.#ttlMs).toISOString();
    await this.#db
      .insertInto('user_sessions')
      .values({ token_hash: hashToken(token), user_id: userId, csrf_token: csrfToken, created_at: new Date(now).toISOString(), expires_at: expiresAt })
      .execute();
    return { token, csrfToken, expiresAt };
  }

  async resolve(token: string, now = Date.now()): Promise<Session | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    const row = await this.#db
      .selectFrom('user_sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select([
        's.id as sessionId',
        's.user_id as userId',
        's.csrf_token as csrfToken',
        's.expires_at as expiresAt',
        'u.username as username',
        'u.role as role',
        'u.disabled_at as disabledAt',
      ])
      .where('s.token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row || row.disabledAt !== null || Date.parse(row.expiresAt) <= now) return null;
    return { sessionId: row.sessionId, userId: row.userId, username: row.username, role: row.role, csrfToken: row.csrfToken, expiresAt: row.expiresAt };
  }

  async revoke(token: string): Promise<void> {
    await this.#db.deleteFrom('user_sessions').where('token_hash', '=', hashToken(token)).execute();
  }

  /** Signs the user out everywhere; returns how many sessions ended. */
  async revokeAll(userId: number): Promise<number> {
    const result = await this.#db.deleteFrom('user_sessions').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async purgeExpired(now = Date.now()): Promise<void> {
    await this.#db.deleteFrom('user_sessions').where('expires_at', '<=', new Date(now).toISOString()).execute();
  }
}
