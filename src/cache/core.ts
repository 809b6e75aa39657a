import { inSpan, SpanKind, tracingEnabled } from '../telemetry/index.ts';
import type { Capability, CacheDriver, DriverCapabilities } from './driver.ts';
import type { Codec } from './codec.ts';
import type { KeyStrategy } from './keys.ts';
import type { L1Store } from './l1.ts';
import type { InvalidationBus, BusMessage } from './bus.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';
import type { CacheStatsCounters, CacheHistograms } from './metrics.ts';
import type { Logger } from '../shared/logger.ts';
import { capabilitiesOf } from './driver.ts';
import { CacheUnavailableError, CacheUnsupportedError } from './errors.ts';
import { ValidationError } from '../shared/errors.ts';
import { wrapEntry, unwrapEntry, rawValue } from './envelope.ts';
import { globToRegExp } from './glob.ts';
import { indexTagged } from './tags.ts';
import { SingleFlight } from './single-flight.ts';

export interface CoreDefaults {
  ttlMs: number;
  graceMs: number;
  lockTtlMs: number;
  suppressL2Errors: boolean;
  baseVersion: number;
}

export interface CoreParts {
  driver: CacheDriver;
  codec: Codec;
  keys: KeyStrategy;
  l1: L1Store | null;
  bus: InvalidationBus | null;
  breaker: CircuitBreaker;
  counters: CacheStatsCounters;
  histograms: CacheHistograms;
  logger: Logger;
  defaults: CoreDefaults;
}

export interface WriteItem {
  full: string;
  value: unknown;
  ttlMs: number;
  graceMs: number;
  /** Index sets of the entry's tags (see tags.ts). */
  tagKeys: readonly string[];
}

/** An L2 read, classified: fresh, stale (inside its grace window), raw (written by another client) or absent. */
export type L2Read = { state: 'fresh' | 'stale'; value: unknown; expiresAt: number; size: number } | { state: 'raw'; value: unknown } | { state: 'absent' };

const ABSENT: L2Read = { state: 'absent' };
/** Keys per UNLINK and per bus message (a message must stay far below the 1 MiB receive limit). */
const REMOVE_BATCH = 500;

/**
 * The tiers behind a cache and all its namespace views: L1, the L2 driver (through the breaker and
 * metrics: everything that touches L2 goes through `l2()` or `readL2()`), the bus, the namespace
 * versions and the loads in flight. Its collaborators are read-only; its mutable state is private.
 * It knows no Redis: connections belong to whoever created the cache (see create-cache.ts).
 */
export class CacheCore {
  readonly driver: CacheDriver;
  /** The driver's optional capabilities, detected once. */
  readonly caps: DriverCapabilities;
  readonly codec: Codec;
  readonly keys: KeyStrategy;
  readonly l1: L1Store | null;
  readonly bus: InvalidationBus | null;
  readonly breaker: CircuitBreaker;
  readonly counters: CacheStatsCounters;
  readonly histograms: CacheHistograms;
  readonly logger: Logger;
  readonly defaults: CoreDefaults;
  readonly loads = new SingleFlight();
  /** Current key prefix per namespace (includes its version). */
  readonly #prefixes = new Map<string, string>();

  constructor(parts: CoreParts) {
    this.driver = parts.driver;
    this.caps = capabilitiesOf(parts.driver);
    this.codec = parts.codec;
    this.keys = parts.keys;
    this.l1 = parts.l1;
    this.bus = parts.bus;
    this.breaker = parts.breaker;
    this.counters = parts.counters;
    this.histograms = parts.histograms;
    this.logger = parts.logger;
    this.defaults = parts.defaults;
  }

  /** A capability of the driver, or CacheUnsupportedError naming the feature that needs it. */
  need<C extends Capability>(capability: C, feature: string): NonNullable<DriverCapabilities[C]> {
    const cap = this.caps[capability];
    if (cap === null) throw new CacheUnsupportedError(feature, this.driver.name, capability);
    return cap;
  }

  /** The namespace's current key prefix once known (hot path: one Map lookup), else undefined. */
  knownPrefix(namespace: string): string | undefined {
    return this.#prefixes.get(namespace);
  }

  /** Runs one L2 command through the breaker; data errors (ValidationError) do not trip it. */
  async l2<T>(op: string, fn: (driver: CacheDriver) => Promise<T>): Promise<T> {
    if (!this.breaker.allow()) throw new CacheUnavailableError('Cache L2 is unavailable (circuit open)');
    const started = performance.now();
    try {
      const result = await fn(this.driver);
      this.breaker.success();
      this.histograms.observeL2(op, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      if (error instanceof ValidationError || error instanceof CacheUnsupportedError) {
        this.breaker.success();
        throw error;
      }
      this.counters.l2Errors++;
      this.breaker.failure();
      throw error instanceof CacheUnavailableError ? error : new CacheUnavailableError('Cache L2 command failed', error);
    }
  }

  /** Like l2() but returns `fallback` on unavailability (reads, and writes when errors are suppressed). */
  async l2Soft<T>(op: string, fn: (driver: CacheDriver) => Promise<T>, fallback: T): Promise<T> {
    try {
      return await this.l2(op, fn);
    } catch (error) {
      if (!(error instanceof CacheUnavailableError)) throw error;
      this.logger.debug({ err: error, op }, 'cache L2 unavailable; continuing without it');
      return fallback;
    }
  }

  async prefixFor(namespace: string): Promise<string> {
    const known = this.#prefixes.get(namespace);
    if (known !== undefined) return known;
    const stored = await this.l2Soft('get', (d) => d.get(this.keys.internal('ver', namespace)), undefined);
    const bumps = stored === undefined ? 0 : Number(stored) || 0;
    return this.#prefixes.get(namespace) ?? this.#setVersion(namespace, bumps);
  }

  #setVersion(namespace: string, bumps: number): string {
    const base = this.defaults.baseVersion;
    const prefix = this.keys.namespacePrefix(namespace, bumps === 0 ? base : `${base}.${bumps}`);
    this.#prefixes.set(namespace, prefix);
    return prefix;
  }

  /** Invalidates a whole namespace by moving it to a new version; old keys age out by TTL. */
  async bumpVersion(namespace: string): Promise<number> {
    const counters = this.need('counters', 'bumpVersion()');
    const bumps = await this.l2('incr', () => counters.incrBy(this.keys.internal('ver', namespace), 1));
    const old = this.#prefixes.get(namespace);
    this.#setVersion(namespace, bumps);
    if (old !== undefined) this.l1?.deleteWhere((k) => k.startsWith(old));
    await this.bus?.publish({ op: 'version', namespace, version: bumps });
    return bumps;
  }

  /** The hot L2 read, classified: one promise layer over the driver's; unavailability reads as absent. */
  readL2(full: string, now: number): Promise<L2Read> {
    return this.#readL2(
      full,
      (text) => (text === undefined ? ABSENT : this.classify(text, now)),
      () => ABSENT,
    );
  }

  /**
   * `readL2` then `acceptL2` in the same single layer, for `get()`: the value handed out (fresh, or raw
   * from another client) or undefined; no classified read object is built for a hit.
   */
  readL2Value(full: string, now: number): Promise<unknown> {
    return this.#readL2(
      full,
      (text) => (text === undefined ? this.#countMiss() : this.acceptL2(full, this.classify(text, now))?.value),
      () => this.#countMiss(),
    );
  }

  #countMiss(): undefined {
    this.counters.l2Misses++;
    return undefined;
  }

  #readL2<R>(full: string, onText: (text: string | undefined) => R, onUnavailable: () => R): Promise<R> {
    // With tracing on, each L2 read is a client span (the key's namespace part only: keys may carry user data).
    if (tracingEnabled())
      return inSpan(
        'cache get',
        { kind: SpanKind.CLIENT, attributes: { 'db.system.name': this.driver.name, 'ai_stack.cache.namespace': full.split(':').slice(0, 2).join(':') } },
        () => this.#readL2Untraced(full, onText, onUnavailable),
      );
    return this.#readL2Untraced(full, onText, onUnavailable);
  }

  #readL2Untraced<R>(full: string, onText: (text: string | undefined) => R, onUnavailable: () => R): Promise<R> {
    if (!this.breaker.allow()) return Promise.resolve(onUnavailable());
    const started = performance.now();
    return this.driver.get(full).then(
      (text) => {
        this.breaker.success();
        this.histograms.observeL2('get', (performance.now() - started) / 1000);
        return onText(text);
      },
      (error: unknown) => {
        if (error instanceof ValidationError) {
          this.breaker.success();
          return onUnavailable();
        }
        this.counters.l2Errors++;
        this.breaker.failure();
        this.logger.debug({ err: error }, 'cache L2 read failed; continuing without it');
        return onUnavailable();
      },
    );
  }

  classify(text: string, now: number): L2Read {
    const u = unwrapEntry(text);
    if (u.kind === 'raw') return { state: 'raw', value: rawValue(u.text) };
    let value: unknown;
    try {
      value = this.codec.decode(u.payload);
    } catch (error) {
      // Corrupt or foreign data is a miss, not an outage.
      this.logger.warn({ err: error }, 'cache entry could not be decoded; treating it as a miss');
      return { state: 'absent' };
    }
    const fresh = u.expiresAt === 0 || u.expiresAt > now;
    return { state: fresh ? 'fresh' : 'stale', value, expiresAt: u.expiresAt, size: u.payload.length };
  }

  /** A fresh L2 entry is an L2 hit and is copied into L1, so the next read of it stays in-process. */
  promoteL2(full: string, read: { value: unknown; expiresAt: number; size: number }): unknown {
    this.counters.l2Hits++;
    this.rememberL1(full, read.value, read.expiresAt, read.size);
    return read.value;
  }

  /** The read itself when it yields a value to hand out (fresh, or raw from another client); otherwise counts an L2 miss. */
  acceptL2(full: string, read: L2Read): { value: unknown } | undefined {
    if (read.state === 'fresh') {
      this.promoteL2(full, read);
      return read;
    }
    if (read.state === 'raw') return read;
    this.counters.l2Misses++;
    return undefined;
  }

  rememberL1(full: string, value: unknown, expiresAt: number, size: number): void {
    this.l1?.set(full, { value, expiresAt, graceUntil: expiresAt === 0 ? 0 : expiresAt + this.defaults.graceMs, size });
  }

  /** Encodes and writes one entry to both tiers and tells other processes; returns the decoded copy. */
  write(full: string, value: unknown, ttlMs: number, graceMs: number, tagKeys: readonly string[]): Promise<unknown> {
    if (tracingEnabled())
      return inSpan(
        'cache set',
        { kind: SpanKind.CLIENT, attributes: { 'db.system.name': this.driver.name, 'ai_stack.cache.namespace': full.split(':').slice(0, 2).join(':') } },
        () => this.#write(full, value, ttlMs, graceMs, tagKeys),
      );
    return this.#write(full, value, ttlMs, graceMs, tagKeys);
  }

  async #write(full: string, value: unknown, ttlMs: number, graceMs: number, tagKeys: readonly string[]): Promise<unknown> {
    const sets = tagKeys.length === 0 ? null : this.need('sets', 'tags');
    const payload = this.codec.encode(value);
    const expiresAt = ttlMs === Infinity ? 0 : Date.now() + ttlMs;
    // L1 keeps what L2 would return, so both tiers hand out the same types.
    const decoded = this.l1 === null ? value : this.codec.decode(payload);
    this.l1?.set(full, { value: decoded, expiresAt, graceUntil: expiresAt === 0 ? 0 : expiresAt + graceMs, size: payload.length });
    this.counters.writes++;
    const physical = ttlMs === Infinity ? undefined : ttlMs + graceMs;
    const run = async (d: CacheDriver): Promise<void> => {
      await d.set(full, wrapEntry(expiresAt, payload), physical);
      if (sets !== null) await indexTagged(sets, new Map(tagKeys.map((k) => [k, [full]])));
    };
    // SET and PUBLISH go out back to back on one connection: Redis applies them in order, so peers
    // see the new value when the message arrives, and the write costs one round trip instead of two.
    const written = this.defaults.suppressL2Errors ? this.l2Soft('set', run, undefined) : this.l2('set', run);
    await Promise.all([written, this.bus?.publish({ op: 'keys', keys: [full] })]);
    return decoded;
  }

  /**
   * Bulk write: one pipelined SET batch, one SADD per tag and one bus message per REMOVE_BATCH
   * entries, instead of thousands of concurrent commands racing the per-command timeout.
   */
  async writeMany(items: readonly WriteItem[]): Promise<void> {
    const sets = items.some((item) => item.tagKeys.length > 0) ? this.need('sets', 'tags') : null;
    for (let i = 0; i < items.length; i += REMOVE_BATCH) {
      const batch = items.slice(i, i + REMOVE_BATCH);
      const rows: { key: string; value: string; ttlMs?: number }[] = [];
      const byTag = new Map<string, string[]>();
      for (const item of batch) {
        const payload = this.codec.encode(item.value);
        const expiresAt = item.ttlMs === Infinity ? 0 : Date.now() + item.ttlMs;
        const decoded = this.l1 === null ? item.value : this.codec.decode(payload);
        this.l1?.set(item.full, { value: decoded, expiresAt, graceUntil: expiresAt === 0 ? 0 : expiresAt + item.graceMs, size: payload.length });
        this.counters.writes++;
        rows.push(
          item.ttlMs === Infinity
            ? { key: item.full, value: wrapEntry(expiresAt, payload) }
            : { key: item.full, value: wrapEntry(expiresAt, payload), ttlMs: item.ttlMs + item.graceMs },
        );
        for (const k of item.tagKeys) {
          const members = byTag.get(k);
          if (members === undefined) byTag.set(k, [item.full]);
          else members.push(item.full);
        }
      }
      const run = async (d: CacheDriver): Promise<void> => {
        await d.setMany(rows);
        if (sets !== null) await indexTagged(sets, byTag);
      };
      const written = this.defaults.suppressL2Errors ? this.l2Soft('setMany', run, undefined) : this.l2('setMany', run);
      await Promise.all([written, this.bus?.publish({ op: 'keys', keys: batch.map((b) => b.full) })]);
    }
  }

  /** Deletes keys everywhere, in batches so no UNLINK or bus message grows past what peers accept. */
  async remove(fulls: readonly string[]): Promise<number> {
    for (const k of fulls) this.l1?.delete(k);
    this.counters.deletes += fulls.length;
    let removed = 0;
    for (let i = 0; i < fulls.length; i += REMOVE_BATCH) {
      const batch = fulls.slice(i, i + REMOVE_BATCH);
      const [n] = await Promise.all([this.l2('delete', (d) => d.delete(batch)), this.bus?.publish({ op: 'keys', keys: batch })]);
      removed += n;
    }
    return removed;
  }

  /** Applies an invalidation from another process to this process's L1. */
  applyBusMessage(message: BusMessage): void {
    const l1 = this.l1;
    switch (message.op) {
      case 'keys':
        for (const k of message.keys) l1?.delete(k);
        return;
      case 'prefix':
        l1?.deleteWhere((k) => k.startsWith(message.prefix));
        return;
      case 'pattern': {
        const re = globToRegExp(message.pattern);
        l1?.deleteWhere((k) => re.test(k));
        return;
      }
      case 'version': {
        const old = this.#prefixes.get(message.namespace);
        if (old !== undefined) l1?.deleteWhere((k) => k.startsWith(old));
        this.#setVersion(message.namespace, message.version);
        return;
      }
      case 'all':
        l1?.clear();
        return;
    }
  }
}
