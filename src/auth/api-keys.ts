import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { DatabaseSchema } from '../db/schema.ts';
import { NotFoundError, ValidationError } from '../shared/errors.ts';
import { parseScopes, type Scope } from './scopes.ts';

/** The identity a verified key grants to a request. */
export interface AuthContext {
  /** The API key's id; null when a person signed in with a session instead. */
  keyId: number | null;
  /** Set for a signed-in person (web console session). */
  userId?: number;
  name: string;
  scopes: Scope[];
}

export interface ApiKeyInfo {
  id: number;
  name: string;
  prefix: string;
  scopes: Scope[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

const KEY_PREFIX = 'ask_';
const DISPLAY_PREFIX_LENGTH = 12;
/** Verified keys are remembered briefly so a request costs no query; revocation in another process takes effect within this window. */
const VERIFY_CACHE_TTL_MS = 5_000;
/** last_used_at is a hint for operators, not an audit log: write it at most once a minute per key. */
const LAST_USED_RESOLUTION_MS = 60_000;
const MAX_KEY_LENGTH = 256;

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new random key: 256 bits, URL-safe, recognisable by its `ask_` prefix (secret scanners can match it). */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * API keys stored hashed. Keys are high-entropy random strings, so SHA-256 (not a slow password hash) is
 * the right tool: verification is one indexed lookup by hash.
 */
export class ApiKeyService {
  readonly #db: Kysely<DatabaseSchema>;
  readonly #verified = new LRUCache<string, AuthContext>({ max: 10_000, ttl: VERIFY_CACHE_TTL_MS });
  readonly #lastUsedWritten = new Map<number, number>();

  constructor(db: Kysely<DatabaseSchema>) {
    this.#db = db;
  }

  async create(input: { name: string; scopes: Scope[]; expiresAt?: string | null; key?: string }): Promise<{ key: string; info: ApiKeyInfo }> {
    const name = input.name.trim();
    if (name === '' || name.length > 100)
      throw new ValidationError('Key name must be 1–100 characters', [{ field: 'name', message: 'must be 1–100 characters' }]);
    if (input.scopes.length === 0) throw new ValidationError('A key needs at least one scope', [{ field: 'scopes', message: 'must not be empty' }]);
    const key = input.key ?? generateKey();
    const row = await this.#db
      .insertInto('api_keys')
      .values({
        name,
        prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
        key_hash: hashKey(key),
        scopes: [...new Set(input.scopes)].join(','),
        created_at: new Date().toISOString(),
        expires_at: input.expiresAt ?? null,
        last_used_at: null,
        revoked_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { key, info: toInfo(row) };
  }

  async list(): Promise<ApiKeyInfo[]> {
    const rows = await this.#db.selectFrom('api_keys').selectAll().orderBy('id').execute();
    return rows.map(toInfo);
  }

  async revoke(id: number): Promise<ApiKeyInfo> {
    const row = await this.#db
      .updateTable('api_keys')
      .set({ revoked_at: new Date().toISOString() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      const exists = await this.#db.selectFrom('api_keys').select('id').where('id', '=', id).executeTakeFirst();
      if (!exists) throw new NotFoundError(`API key ${id}`);
      throw new ValidationError(`API key ${id} is already revoked`);
    }
    this.#verified.clear();
    return toInfo(row);
  }

  /** Resolves a presented key to its identity, or null when it is unknown, revoked, expired or malformed. */
  async verify(presented: string): Promise<AuthContext | null> {
    if (presented.length === 0 || presented.length > MAX_KEY_LENGTH) return null;
    const hash = hashKey(presented);
    const cached = this.#verified.get(hash);
    if (cached) return cached;
    const row = await this.#db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
    // The lookup is by hash, so timing reveals nothing about the key; the compare guards against a collation surprise.
    if (!row || !timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(hash))) return null;
    const now = Date.now();
    if (row.revoked_at !== null || (row.expires_at !== null && Date.parse(row.expires_at) <= now)) return null;
    const context: AuthContext = { keyId: row.id, name: row.name, scopes: parseScopes(row.scopes) };
    this.#verified.set(hash, context);
    await this.#touch(row.id, now);
    return context;
  }

  /**
   * Makes sure an admin can get in: takes AI_STACK_ADMIN_KEY when given, otherwise creates a key only when the
   * database has none at all. Returns the new secret only when one was generated (to be printed once).
   */
  async ensureBootstrapKey(configuredKey: string | undefined): Promise<{ generatedKey: string | null; info: ApiKeyInfo | null }> {
    if (configuredKey !== undefined) {
      const existing = await this.#db.selectFrom('api_keys').selectAll().where('key_hash', '=', hashKey(configuredKey)).executeTakeFirst();
      if (existing) return { generatedKey: null, info: toInfo(existing) };
      try {
        const { info } = await this.create({ name: 'bootstrap (AI_STACK_ADMIN_KEY)', scopes: ['admin'], key: configuredKey });
        return { generatedKey: null, info };
      } catch (error) {
        // Several API nodes starting at once on a fresh database: another one stored the same key first.
        const stored = await this.#db.selectFrom('api_keys').selectAll().where('key_hash', '=', hashKey(configuredKey)).executeTakeFirst();
        if (stored) return { generatedKey: null, info: toInfo(stored) };
        throw error;
      }
    }
    const any = await this.#db.selectFrom('api_keys').select('id').limit(1).executeTakeFirst();
    if (any) return { generatedKey: null, info: null };
    const { key, info } = await this.create({ name: 'bootstrap admin', scopes: ['admin'] });
    return { generatedKey: key, info };
  }

  async #touch(id: number, now: number): Promise<void> {
    const last = this.#lastUsedWritten.get(id) ?? 0;
    if (now - last < LAST_USED_RESOLUTION_MS) return;
    this.#lastUsedWritten.set(id, now);
    await this.#db
      .updateTable('api_keys')
      .set({ last_used_at: new Date(now).toISOString() })
      .where('id', '=', id)
      .execute();
  }
}

function toInfo(row: {
  id: number;
  name: string;
  prefix: string;
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: parseScopes(row.scopes),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
