import { createHash } from 'node:crypto';
import { groupBySlot, isCluster, scanPage, type RedisClient } from '../../shared/redis.ts';
import type { FullCacheDriver, KeyInfo, KeyType, ScanPage } from '../driver.ts';
import { CacheUnavailableError } from '../errors.ts';
import { DeadlineGuard, InFlightWatchdog } from '../deadline.ts';
import { ValidationError } from '../../shared/errors.ts';

// Token-checked release: only the holder of the lease may delete it (a late holder whose lease
// expired must not release someone else's).
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
// INCRBY that sets the TTL only when it creates the key, in one round trip.
const INCR_WITH_TTL = `local existed = redis.call('exists', KEYS[1])
local v = redis.call('incrby', KEYS[1], ARGV[1])
if existed == 0 and ARGV[2] ~= '' then redis.call('pexpire', KEYS[1], ARGV[2]) end
return v`;

interface Script {
  source: string;
  sha: string;
}
const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });
const SCRIPTS = { release: script(RELEASE_LOCK), incr: script(INCR_WITH_TTL) };

/** Redis driver over one ioredis connection (the caller owns its options: offline queue off, command timeout). */
export interface RedisDriverOptions {
  /** Per-command timeout in ms, enforced by one shared sweep rather than a timer per command. */
  commandTimeoutMs?: number;
}

export class RedisDriver implements FullCacheDriver {
  readonly name = 'redis';
  readonly client: RedisClient;
  /** On a Cluster, multi-key commands run once per slot group (keys of one namespace share a hash tag, so usually one). */
  readonly #cluster: boolean;
  readonly #guard: DeadlineGuard | undefined;
  /** The same timeout for get(), the hot read, without a promise of its own per call (see InFlightWatchdog). */
  readonly #watchdog: InFlightWatchdog | undefined;
  /**
   * The client's ioredis `keyPrefix`: ioredis adds it to the keys of every command but not to
   * SCAN's MATCH pattern nor strips it from SCAN's replies, so scan() does both itself (otherwise a
   * pattern delete would UNLINK `<prefix><prefix>key` and remove nothing).
   */
  readonly #clientPrefix: string;
  readonly #clientPrefixGlob: string;

  constructor(client: RedisClient, options: RedisDriverOptions = {}) {
    this.client = client;
    this.#cluster = isCluster(client);
    this.#guard = options.commandTimeoutMs === undefined ? undefined : new DeadlineGuard(options.commandTimeoutMs);
    // The watchdog reads one connection's command queue; a Cluster has one per node, so its reads keep the guard.
    this.#watchdog = options.commandTimeoutMs === undefined || isCluster(client) ? undefined : new InFlightWatchdog(client, options.commandTimeoutMs);
    this.#clientPrefix = client.options.keyPrefix ?? '';
    this.#clientPrefixGlob = this.#clientPrefix.replace(/[*?[\]\\]/g, '\\$&');
  }

  async #run<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await (this.#guard === undefined ? op() : this.#guard.wrap(op()));
    } catch (error) {
      throw mapError(error);
    }
  }

  // EVALSHA, loading the script only on NOSCRIPT (a restart or failover flushes the script cache);
  // any other failure is not retried because the script may already have run.
  async #eval(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    return this.#run(async () => {
      try {
        return await this.client.evalsha(s.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return this.client.eval(s.source, keys.length, ...keys, ...args);
      }
    });
  }

  get(key: string): Promise<string | undefined> {
    // Hot path: one promise layer, no async wrapper. On a ready connection the command goes straight to the
    // socket, where the watchdog times it out; otherwise (connecting, a caller's offline queue) the guard does.
    const pending = this.client.get(key);
    const guarded = this.#guard === undefined || (this.#watchdog !== undefined && this.client.status === 'ready') ? pending : this.#guard.wrap(pending);
    return guarded.then(orUndefined, rethrowMapped);
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    if (keys.length === 0) return [];
    if (!this.#cluster) return (await this.#run(() => this.client.mget(...keys))).map(orUndefined);
    const out: (string | undefined)[] = new Array<string | undefined>(keys.length);
    for (const group of groupBySlot(this.#prefixed(keys))) {
      const values = await this.#run(() => this.client.mget(...this.#unprefixed(group.keys)));
      group.indexes.forEach((index, i) => (out[index] = orUndefined(values[i] ?? null)));
    }
    return out;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    await this.#run(() => (ttlMs === undefined || ttlMs === Infinity ? this.client.set(key, value) : this.client.set(key, value, 'PX', Math.max(1, ttlMs))));
  }

  async setMany(entries: readonly { key: string; value: string; ttlMs?: number }[]): Promise<void> {
    if (entries.length === 0) return;
    for (const group of this.#slotGroups(entries.map((e) => e.key))) {
      const pipeline = this.client.pipeline();
      for (const index of group) {
        const e = entries[index];
        if (e === undefined) continue;
        if (e.ttlMs === undefined || e.ttlMs === Infinity) pipeline.set(e.key, e.value);
        else pipeline.set(e.key, e.value, 'PX', Math.max(1, e.ttlMs));
      }
      await this.#exec(pipeline);
    }
  }

  /** Index groups of `keys` that may share one command or pipeline: all of them on a single server. */
  #slotGroups(keys: readonly string[]): number[][] {
    if (!this.#cluster) return [keys.map((_, index) => index)];
    return groupBySlot(this.#prefixed(keys)).map((group) => group.indexes);
  }

  // Slots are computed by Redis on the full key, which includes the client's keyPrefix.
  #prefixed(keys: readonly string[]): string[] {
    return this.#clientPrefix === '' ? [...keys] : keys.map((key) => this.#clientPrefix + key);
  }

  #unprefixed(keys: readonly string[]): string[] {
    const cut = this.#clientPrefix.length;
    return cut === 0 ? [...keys] : keys.map((key) => key.slice(cut));
  }

  async #exec(pipeline: ReturnType<RedisClient['pipeline']>): Promise<unknown[]> {
    const results = await this.#run(() => pipeline.exec());
    const out: unknown[] = [];
    for (const [error, value] of results ?? []) {
      if (error) throw mapError(error);
      out.push(value);
    }
    return out;
  }

  async add(key: string, value: string, ttlMs?: number): Promise<boolean> {
    const result = await this.#run(() =>
      ttlMs === undefined || ttlMs === Infinity ? this.client.set(key, value, 'NX') : this.client.set(key, value, 'PX', Math.max(1, ttlMs), 'NX'),
    );
    return result === 'OK';
  }

  async delete(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    let removed = 0;
    for (const group of this.#slotGroups(keys)) removed += await this.#run(() => this.client.unlink(...group.map((index) => keys[index] ?? '')));
    return removed;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#run(() => this.client.exists(key))) === 1;
  }

  async incrBy(key: string, by: number, ttlMsIfNew?: number): Promise<number> {
    if (!Number.isSafeInteger(by)) throw new ValidationError('increment must be a safe integer');
    return Number(await this.#eval(SCRIPTS.incr, [key], [by, ttlMsIfNew === undefined || ttlMsIfNew === Infinity ? '' : Math.max(1, ttlMsIfNew)]));
  }

  async expire(key: string, ttlMs: number | undefined): Promise<boolean> {
    if (ttlMs === undefined || ttlMs === Infinity) return (await this.#run(() => this.client.persist(key))) === 1 || this.exists(key);
    return (await this.#run(() => this.client.pexpire(key, Math.max(1, ttlMs)))) === 1;
  }

  async pttl(key: string): Promise<number> {
    return this.#run(() => this.client.pttl(key));
  }

  async scan(match: string, cursor: string, count: number): Promise<ScanPage> {
    const { cursor: next, keys } = await this.#run(() => scanPage(this.client, cursor, this.#clientPrefixGlob + match, Math.max(1, count)));
    const cut = this.#clientPrefix.length;
    return { cursor: next, keys: cut === 0 ? keys : keys.map((key) => key.slice(cut)) };
  }

  async deleteMatching(match: string): Promise<number> {
    let cursor = '0';
    let removed = 0;
    do {
      const page = await this.scan(match, cursor, 500);
      cursor = page.cursor;
      if (page.keys.length > 0) removed += await this.delete(page.keys);
    } while (cursor !== '0');
    return removed;
  }

  async info(keys: readonly string[]): Promise<KeyInfo[]> {
    if (keys.length === 0) return [];
    const out: KeyInfo[] = new Array<KeyInfo>(keys.length);
    for (const group of this.#slotGroups(keys)) {
      const pipeline = this.client.pipeline();
      for (const index of group) {
        const key = keys[index] ?? '';
        pipeline.type(key).pttl(key).memory('USAGE', key);
      }
      const r = await this.#exec(pipeline);
      group.forEach((index, i) => {
        out[index] = {
          key: keys[index] ?? '',
          type: toKeyType(String(r[i * 3])),
          ttlMs: Number(r[i * 3 + 1]),
          sizeBytes: r[i * 3 + 2] === null ? null : Number(r[i * 3 + 2]),
        };
      });
    }
    return out;
  }

  async sAdd(key: string, members: readonly string[], ttlMs?: number): Promise<number> {
    if (members.length === 0) return 0;
    const pipeline = this.client.pipeline().sadd(key, ...members);
    if (ttlMs !== undefined && ttlMs !== Infinity) pipeline.pexpire(key, Math.max(1, ttlMs));
    const [added] = await this.#exec(pipeline);
    return Number(added);
  }

  async sRem(key: string, members: readonly string[]): Promise<number> {
    if (members.length === 0) return 0;
    return this.#run(() => this.client.srem(key, ...members));
  }

  async sMembers(key: string): Promise<string[]> {
    return this.#run(() => this.client.smembers(key));
  }

  async sPop(key: string, count: number): Promise<string[]> {
    return this.#run(() => this.client.spop(key, Math.max(1, count)));
  }

  async sScan(key: string, cursor: string, count: number): Promise<{ cursor: string; members: string[] }> {
    const [next, members] = await this.#run(() => this.client.sscan(key, cursor, 'COUNT', Math.max(1, count)));
    return { cursor: next, members };
  }

  async sIsMember(key: string, member: string): Promise<boolean> {
    return (await this.#run(() => this.client.sismember(key, member))) === 1;
  }

  async sCard(key: string): Promise<number> {
    return this.#run(() => this.client.scard(key));
  }

  async hSet(key: string, fields: Readonly<Record<string, string>>): Promise<void> {
    if (Object.keys(fields).length === 0) return;
    await this.#run(() => this.client.hset(key, fields));
  }

  async hGet(key: string, field: string): Promise<string | undefined> {
    return (await this.#run(() => this.client.hget(key, field))) ?? undefined;
  }

  async hGetAll(key: string): Promise<Record<string, string>> {
    return this.#run(() => this.client.hgetall(key));
  }

  async hDel(key: string, fields: readonly string[]): Promise<number> {
    if (fields.length === 0) return 0;
    return this.#run(() => this.client.hdel(key, ...fields));
  }

  async hIncrBy(key: string, field: string, by: number): Promise<number> {
    if (!Number.isSafeInteger(by)) throw new ValidationError('increment must be a safe integer');
    return this.#run(() => this.client.hincrby(key, field, by));
  }

  async acquireLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return this.add(key, token, ttlMs);
  }

  async releaseLock(key: string, token: string): Promise<boolean> {
    return Number(await this.#eval(SCRIPTS.release, [key], [token])) === 1;
  }

  async ping(): Promise<void> {
    await this.#run(() => this.client.ping());
  }

  async close(): Promise<void> {
    this.#watchdog?.close();
    this.client.disconnect();
  }
}

const orUndefined = (value: string | null): string | undefined => value ?? undefined;
const rethrowMapped = (error: unknown): never => {
  throw mapError(error);
};

function toKeyType(type: string): KeyType {
  return type === 'string' || type === 'hash' || type === 'set' || type === 'none' ? type : 'other';
}

/** Redis reply errors about the data are the caller's fault; everything else means Redis is unavailable. */
function mapError(error: unknown): Error {
  if (error instanceof ValidationError || error instanceof CacheUnavailableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/WRONGTYPE|not an integer|overflow|out of range|invalid cursor/i.test(message)) return new ValidationError(message);
  return new CacheUnavailableError(`Redis command failed: ${message}`, error);
}
