import { EventEmitter } from 'node:events';
import { capabilitiesOf, type CacheDriver, type ScanningDriver } from './driver.ts';
import { CacheUnsupportedError } from './errors.ts';
import { driverOf, type Cache } from './cache.ts';
import { ValidationError } from '../shared/errors.ts';

export interface KeyvCacheStoreOptions {
  /** Every Keyv key is stored as `<keyPrefix>:keyv:<namespace>:<key>`. */
  keyPrefix: string;
}

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

/**
 * A Keyv 5 store adapter over our cache drivers, so Keyv and cache-manager users get our Redis driver
 * (fail-fast options, Lua lifecycle) or the in-process one. Keyv does its own serialization and
 * expiry bookkeeping; this adapter stores its strings as they are, with the TTL as the physical expiry.
 */
export class KeyvCacheStore extends EventEmitter {
  readonly #driver: CacheDriver;
  readonly #scanning: ScanningDriver | null;
  readonly #base: string;
  namespace?: string | undefined;
  /**
   * Keyv offers `iterator()` only for stores whose `dialect` is on its allow-list, and `memory` is
   * not on it. Our iterator keeps the Redis adapter's contract on every driver (SCAN-based,
   * namespace-scoped, `[key, raw]` pairs), so every driver declares that dialect; `url` names the real one.
   */
  readonly opts: { dialect: string; url: string };

  constructor(driver: CacheDriver, options: KeyvCacheStoreOptions) {
    super();
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(options.keyPrefix)) throw new ValidationError('keyPrefix must be 1-64 characters of A-Z a-z 0-9 _ . : -');
    this.#driver = driver;
    this.#scanning = capabilitiesOf(driver).scanning;
    this.#base = `${options.keyPrefix.replace(/:+$/, '')}:keyv:`;
    this.opts = { dialect: 'redis', url: `${driver.name}://` };
  }

  #key(key: string): string {
    return this.#base + key;
  }

  async get(key: string): Promise<string | undefined> {
    return this.#driver.get(this.#key(key));
  }

  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    return this.#driver.getMany(keys.map((k) => this.#key(k)));
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    await this.#driver.set(this.#key(key), text, typeof ttl === 'number' && ttl > 0 ? ttl : undefined);
    return true;
  }

  async setMany(entries: { key: string; value: unknown; ttl?: number }[]): Promise<void> {
    await Promise.all(entries.map((e) => this.set(e.key, e.value, e.ttl)));
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#driver.delete([this.#key(key)])) > 0;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    return (await this.#driver.delete(keys.map((k) => this.#key(k)))) > 0;
  }

  async has(key: string): Promise<boolean> {
    return this.#driver.exists(this.#key(key));
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    return Promise.all(keys.map((k) => this.has(k)));
  }

  /** Clears this store's namespace only (or every Keyv key of the prefix when there is none). */
  async clear(): Promise<void> {
    const scanning = this.#needScanning('clear()');
    const scope = this.namespace === undefined ? this.#base : `${this.#base}${this.namespace}:`;
    await scanning.deleteMatching(`${escapeGlob(scope)}*`);
  }

  async *iterator(namespace?: string): AsyncGenerator<[string, string], void> {
    const scanning = this.#needScanning('iterator()');
    const scope = namespace === undefined ? this.#base : `${this.#base}${namespace}:`;
    let cursor = '0';
    do {
      const page = await scanning.scan(`${escapeGlob(scope)}*`, cursor, 200);
      cursor = page.cursor;
      const values = await this.#driver.getMany(page.keys);
      for (let i = 0; i < page.keys.length; i++) {
        const value = values[i];
        if (value !== undefined) yield [(page.keys[i] as string).slice(this.#base.length), value];
      }
    } while (cursor !== '0');
  }

  #needScanning(feature: string): ScanningDriver {
    if (this.#scanning === null) throw new CacheUnsupportedError(`Keyv ${feature}`, this.#driver.name, 'scanning');
    return this.#scanning;
  }

  async disconnect(): Promise<void> {
    // The driver belongs to whoever created it (often a Cache); closing it here would break them.
  }
}

/**
 * A Keyv store on a cache's own driver: its Redis connection (with the cache's command timeout) or
 * its in-process store, so every store made for one cache sees the same data on both drivers.
 */
export function keyvStoreFor(cache: Cache, options: KeyvCacheStoreOptions): KeyvCacheStore {
  return new KeyvCacheStore(driverOf(cache), options);
}
