/**
 * The contract every L2 driver implements (memory and Redis ship here). Values are opaque strings: the
 * codec and the entry envelope live above the driver. TTLs are milliseconds; `undefined` = no expiry.
 * Every driver must pass test/conformance/cache-driver-suite.ts.
 */
export type KeyType = 'string' | 'hash' | 'set' | 'none' | 'other';

export interface ScanPage {
  cursor: string;
  keys: string[];
}

export interface KeyInfo {
  key: string;
  type: KeyType;
  /** Remaining milliseconds; -1 = no expiry; -2 = missing. */
  ttlMs: number;
  /** Approximate bytes (MEMORY USAGE on Redis), or null when unknown. */
  sizeBytes: number | null;
}

export interface CacheDriver {
  readonly name: string;
  get(key: string): Promise<string | undefined>;
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  setMany(entries: readonly { key: string; value: string; ttlMs?: number }[]): Promise<void>;
  /** Sets only when absent; true when written. */
  add(key: string, value: string, ttlMs?: number): Promise<boolean>;
  /** Deletes when present; returns how many keys existed. */
  delete(keys: readonly string[]): Promise<number>;
  exists(key: string): Promise<boolean>;
  /** Atomic integer add; creates the key at 0 first. Throws on a non-integer value. */
  incrBy(key: string, by: number, ttlMsIfNew?: number): Promise<number>;
  /** Sets a TTL (or removes it with undefined); false when the key is missing. */
  expire(key: string, ttlMs: number | undefined): Promise<boolean>;
  /** Remaining ms; -1 = no expiry; -2 = missing (Redis PTTL semantics). */
  pttl(key: string): Promise<number>;
  /** One page of keys matching a glob; cursor '0' starts and ends the walk. */
  scan(match: string, cursor: string, count: number): Promise<ScanPage>;
  /** Deletes every key matching a glob (SCAN + UNLINK, never KEYS); returns how many were removed. */
  deleteMatching(match: string): Promise<number>;
  info(keys: readonly string[]): Promise<KeyInfo[]>;
  sAdd(key: string, members: readonly string[], ttlMs?: number): Promise<number>;
  sRem(key: string, members: readonly string[]): Promise<number>;
  sMembers(key: string): Promise<string[]>;
  /** Removes and returns up to `count` members (SPOP with a count); the key disappears with its last member. */
  sPop(key: string, count: number): Promise<string[]>;
  /** One page of a set's members (SSCAN): a member present for the whole iteration is returned at least once. */
  sScan(key: string, cursor: string, count: number): Promise<{ cursor: string; members: string[] }>;
  sIsMember(key: string, member: string): Promise<boolean>;
  sCard(key: string): Promise<number>;
  hSet(key: string, fields: Readonly<Record<string, string>>): Promise<void>;
  hGet(key: string, field: string): Promise<string | undefined>;
  hGetAll(key: string): Promise<Record<string, string>>;
  hDel(key: string, fields: readonly string[]): Promise<number>;
  hIncrBy(key: string, field: string, by: number): Promise<number>;
  /** Lease lock: SET NX PX with a token; release only when the token still matches. */
  acquireLock(key: string, token: string, ttlMs: number): Promise<boolean>;
  releaseLock(key: string, token: string): Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
