import type { CacheCore } from './core.ts';
import type { Cache } from './cache.ts';
import type { Duration } from './ttl.ts';
import type { HashDriver, SetDriver } from './driver.ts';
import { parseDuration } from './ttl.ts';

type KeyOf = () => string | Promise<string>;

/**
 * Typed helpers over Redis data structures (the rest of the Redis API is on `cache.raw`). They
 * bypass L1 on purpose: counters, hashes and sets are mutated in place by many processes. Hashes
 * and sets need the driver's "hashes" and "sets" capabilities.
 */
export class HashHelper<T extends Record<string, string | number>> {
  readonly #core: CacheCore;
  readonly #key: KeyOf;

  constructor(core: CacheCore, key: KeyOf) {
    this.#core = core;
    this.#key = key;
  }

  #hashes(): HashDriver {
    return this.#core.need('hashes', 'hash()');
  }

  async set(fields: Partial<T>): Promise<void> {
    const hashes = this.#hashes();
    const key = await this.#key();
    const flat: Record<string, string> = {};
    for (const [f, v] of Object.entries(fields)) if (v !== undefined) flat[f] = String(v);
    await this.#core.l2('hset', () => hashes.hSet(key, flat));
  }

  /** A field as stored (strings; numeric fields come back as strings unless read with getNumber). */
  async get<K extends keyof T & string>(field: K): Promise<string | undefined> {
    const hashes = this.#hashes();
    const key = await this.#key();
    return this.#core.l2('hget', () => hashes.hGet(key, field));
  }

  async getNumber<K extends keyof T & string>(field: K): Promise<number | undefined> {
    const value = await this.get(field);
    return value === undefined ? undefined : Number(value);
  }

  async getAll(): Promise<Partial<Record<keyof T & string, string>>> {
    const hashes = this.#hashes();
    const key = await this.#key();
    return this.#core.l2('hgetall', () => hashes.hGetAll(key)) as Promise<Partial<Record<keyof T & string, string>>>;
  }

  async delete(...fields: (keyof T & string)[]): Promise<number> {
    const hashes = this.#hashes();
    const key = await this.#key();
    return this.#core.l2('hdel', () => hashes.hDel(key, fields));
  }

  async incr<K extends keyof T & string>(field: K, by = 1): Promise<number> {
    const hashes = this.#hashes();
    const key = await this.#key();
    return this.#core.l2('hincrby', () => hashes.hIncrBy(key, field, by));
  }

  async expire(ttl: Duration): Promise<boolean> {
    const key = await this.#key();
    return this.#core.l2('expire', (d) => d.expire(key, parseDuration(ttl)));
  }
}

export class CounterHelper {
  readonly #cache: Cache;
  readonly #key: string;
  readonly #ttl: Duration | undefined;

  constructor(cache: Cache, key: string, options: { ttl?: Duration }) {
    this.#cache = cache;
    this.#key = key;
    this.#ttl = options.ttl;
  }

  incr(by = 1): Promise<number> {
    return this.#cache.incr(this.#key, by, this.#ttl === undefined ? {} : { ttl: this.#ttl });
  }

  decr(by = 1): Promise<number> {
    return this.incr(-by);
  }

  async value(): Promise<number> {
    const v = await this.#cache.get(this.#key);
    return typeof v === 'number' ? v : 0;
  }

  async reset(): Promise<void> {
    await this.#cache.delete(this.#key);
  }
}

export class SetHelper<T extends string | number> {
  readonly #core: CacheCore;
  readonly #key: KeyOf;

  constructor(core: CacheCore, key: KeyOf) {
    this.#core = core;
    this.#key = key;
  }

  #sets(): SetDriver {
    return this.#core.need('sets', 'setOf()');
  }

  async add(...members: T[]): Promise<number> {
    const sets = this.#sets();
    const key = await this.#key();
    return this.#core.l2('sadd', () => sets.sAdd(key, members.map(String)));
  }

  async remove(...members: T[]): Promise<number> {
    const sets = this.#sets();
    const key = await this.#key();
    return this.#core.l2('srem', () => sets.sRem(key, members.map(String)));
  }

  async has(member: T): Promise<boolean> {
    const sets = this.#sets();
    const key = await this.#key();
    return this.#core.l2('sismember', () => sets.sIsMember(key, String(member)));
  }

  /** Members as strings (Redis sets hold strings). */
  async members(): Promise<string[]> {
    const sets = this.#sets();
    const key = await this.#key();
    return this.#core.l2('smembers', () => sets.sMembers(key));
  }

  async size(): Promise<number> {
    const sets = this.#sets();
    const key = await this.#key();
    return this.#core.l2('scard', () => sets.sCard(key));
  }
}
