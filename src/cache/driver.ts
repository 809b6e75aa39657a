/**
 * The L2 driver contract, split the way BentoCache splits its own: every driver implements
 * `CacheDriver`, a plain key-value store of opaque strings (the codec and the entry envelope live
 * above it; TTLs are milliseconds, `undefined` = no expiry). Stores that can do more add optional
 * capabilities, each its own interface; the cache detects them once (`capabilitiesOf`) and answers
 * `CacheUnsupportedError` for a feature whose capability its driver lacks. Every driver must pass
 * `cacheDriverSuite` from `ai-stack/cache/testing`, which tests the capabilities a driver has.
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

/** What every L2 driver implements: enough for get/set/delete/getOrSet/getMany/setMany/add/expire/ttl. */
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
  /** Sets a TTL (or removes it with undefined); false when the key is missing. */
  expire(key: string, ttlMs: number | undefined): Promise<boolean>;
  /** Remaining ms; -1 = no expiry; -2 = missing (Redis PTTL semantics). */
  pttl(key: string): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Walking the keyspace: clear(), deleteByPattern(), prune() and the admin key browser. */
export interface ScanningDriver {
  /**
   * One page of live keys matching a glob; cursor '0' starts and ends the walk. A key present for
   * the whole walk is returned at least once, whatever is read, written or deleted between pages.
   */
  scan(match: string, cursor: string, count: number): Promise<ScanPage>;
  /** Deletes every key matching a glob (never KEYS); returns how many live keys were removed. */
  deleteMatching(match: string): Promise<number>;
  info(keys: readonly string[]): Promise<KeyInfo[]>;
}

/** Atomic counters: incr(), decr(), counter(). */
export interface CounterDriver {
  /** Atomic integer add; creates the key at 0 first. Throws ValidationError on a non-integer value. */
  incrBy(key: string, by: number, ttlMsIfNew?: number): Promise<number>;
}

/** Sets: the tag index (tags, deleteByTag(), prune()) and setOf(). */
export interface SetDriver {
  sAdd(key: string, members: readonly string[], ttlMs?: number): Promise<number>;
  sRem(key: string, members: readonly string[]): Promise<number>;
  sMembers(key: string): Promise<string[]>;
  /** Removes and returns up to `count` members (SPOP with a count); the key disappears with its last member. */
  sPop(key: string, count: number): Promise<string[]>;
  /** One page of a set's members (SSCAN): a member present for the whole iteration is returned at least once. */
  sScan(key: string, cursor: string, count: number): Promise<{ cursor: string; members: string[] }>;
  sIsMember(key: string, member: string): Promise<boolean>;
  sCard(key: string): Promise<number>;
}

/** Hashes: hash(). */
export interface HashDriver {
  hSet(key: string, fields: Readonly<Record<string, string>>): Promise<void>;
  hGet(key: string, field: string): Promise<string | undefined>;
  hGetAll(key: string): Promise<Record<string, string>>;
  hDel(key: string, fields: readonly string[]): Promise<number>;
  hIncrBy(key: string, field: string, by: number): Promise<number>;
}

/** Distributed lease locks: getOrSet({ lock }). */
export interface LockDriver {
  /** SET NX PX with a token. */
  acquireLock(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Releases only while the token still matches (a holder whose lease expired cannot free another's). */
  releaseLock(key: string, token: string): Promise<boolean>;
}

/** Every capability: what the memory and Redis drivers implement. */
export type FullCacheDriver = CacheDriver & ScanningDriver & CounterDriver & SetDriver & HashDriver & LockDriver;

export interface DriverCapabilities {
  scanning: ScanningDriver | null;
  counters: CounterDriver | null;
  sets: SetDriver | null;
  hashes: HashDriver | null;
  locks: LockDriver | null;
}

export type Capability = keyof DriverCapabilities;

const METHODS: { [C in Capability]: readonly (keyof NonNullable<DriverCapabilities[C]>)[] } = {
  scanning: ['scan', 'deleteMatching', 'info'],
  counters: ['incrBy'],
  sets: ['sAdd', 'sRem', 'sMembers', 'sPop', 'sScan', 'sIsMember', 'sCard'],
  hashes: ['hSet', 'hGet', 'hGetAll', 'hDel', 'hIncrBy'],
  locks: ['acquireLock', 'releaseLock'],
};

function has<C extends Capability>(driver: CacheDriver, capability: C): NonNullable<DriverCapabilities[C]> | null {
  const methods = METHODS[capability] as readonly string[];
  const record = driver as unknown as Record<string, unknown>;
  return methods.every((m) => typeof record[m] === 'function') ? (driver as unknown as NonNullable<DriverCapabilities[C]>) : null;
}

/** The capabilities a driver offers: one capability counts only when all of its methods are there. */
export function capabilitiesOf(driver: CacheDriver): DriverCapabilities {
  return {
    scanning: has(driver, 'scanning'),
    counters: has(driver, 'counters'),
    sets: has(driver, 'sets'),
    hashes: has(driver, 'hashes'),
    locks: has(driver, 'locks'),
  };
}
