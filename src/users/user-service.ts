import type { Kysely } from 'kysely';
import { translateDatabaseError } from '../db/index.ts';
import type { DatabaseSchema, UserRole } from '../db/schema.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { decoyHash, hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from './password.ts';

export const ROLES: readonly UserRole[] = ['admin', 'write', 'read'];

export interface UserInfo {
  id: number;
  username: string;
  role: UserRole;
  lockedUntil: string | null;
  createdAt: string;
}

export interface LockoutPolicy {
  /** Consecutive wrong passwords that lock the account. */
  maxFailures: number;
  lockMs: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, lockMs: 15 * 60_000 };

export type LoginOutcome = { ok: true; user: UserInfo } | { ok: false; reason: 'invalid' | 'locked'; retryAfterMs?: number };

const USERNAME = /^[\p{L}\p{N}._@-]{1,64}$/u;

export function isRole(value: string): value is UserRole {
  return (ROLES as readonly string[]).includes(value);
}

/** User accounts for the web console: argon2id passwords, roles equal to API scopes, lockout after repeated failures. */
export class UserService {
  readonly #db: Kysely<DatabaseSchema>;
  readonly #lockout: LockoutPolicy;

  constructor(db: Kysely<DatabaseSchema>, lockout: LockoutPolicy = DEFAULT_LOCKOUT) {
    this.#db = db;
    this.#lockout = lockout;
  }

  async create(input: { username: string; password: string; role: UserRole }): Promise<UserInfo> {
    const username = input.username.trim();
    if (!USERNAME.test(username)) throw new ValidationError('Username must be 1–64 letters, digits or . _ @ -', [{ field: 'username', message: 'invalid' }]);
    checkPassword(input.password);
    if (!isRole(input.role)) throw new ValidationError('Role must be admin, write or read', [{ field: 'role', message: 'invalid' }]);
    const now = new Date().toISOString();
    const passwordHash = await hashPassword(input.password);
    const row = await this.#db
      .insertInto('users')
      .values({ username, password_hash: passwordHash, role: input.role, locked_until: null, disabled_at: null, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((error: unknown) => {
        // A taken username becomes a 409 (and a one-line CLI error), not a driver error.
        throw translateDatabaseError(error, { operation: 'insert' });
      });
    return toInfo(row);
  }

  async list(): Promise<UserInfo[]> {
    return (await this.#db.selectFrom('users').selectAll().orderBy('id').execute()).map(toInfo);
  }

  async get(id: number): Promise<UserInfo> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', id).where('disabled_at', 'is', null).executeTakeFirst();
    if (!row) throw new NotFoundError(`User ${id}`);
    return toInfo(row);
  }

  /** Checks a password; counts failures and locks the account for a while after too many in a row. */
  async authenticate(username: string, password: string, now = Date.now()): Promise<LoginOutcome> {
    const row =
      password.length > MAX_PASSWORD_LENGTH
        ? undefined
        : await this.#db.selectFrom('users').selectAll().where('username', '=', username.trim()).executeTakeFirst();
    if (!row || row.disabled_at !== null) {
      await verifyPassword(await decoyHash(), password);
      return { ok: false, reason: 'invalid' };
    }
    if (row.locked_until !== null && Date.parse(row.locked_until) > now) {
      return { ok: false, reason: 'locked', retryAfterMs: Date.parse(row.locked_until) - now };
    }
    if (!(await verifyPassword(row.password_hash, password))) {
      // One statement, so concurrent wrong guesses cannot each read the same count and slip past the limit.
      const updated = await this.#db
        .updateTable('users')
        .set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
        .where('id', '=', row.id)
        .returning('failed_logins')
        .executeTakeFirstOrThrow();
      if (updated.failed_logins >= this.#lockout.maxFailures) {
        await this.#db
          .updateTable('users')
          .set({ locked_until: new Date(now + this.#lockout.lockMs).toISOString(), failed_logins: 0 })
          .where('id', '=', row.id)
          .execute();
        return { ok: false, reason: 'locked', retryAfterMs: this.#lockout.lockMs };
      }
      return { ok: false, reason: 'invalid' };
    }
    if (row.failed_logins !== 0 || row.locked_until !== null) {
      await this.#db.updateTable('users').set({ failed_logins: 0, locked_until: null }).where('id', '=', row.id).execute();
    }
    return { ok: true, user: toInfo(row) };
  }
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new ValidationError(`Password must be ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters`, [{ field: 'password', message: 'length' }]);
  }
}

function toInfo(row: { id: number; username: string; role: UserRole; locked_until: string | null; created_at: string }): UserInfo {
  return { id: row.id, username: row.username, role: row.role, lockedUntil: row.locked_until, createdAt: row.created_at };
}
