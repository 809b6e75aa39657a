import type { RedisOptions } from 'ioredis';
import { createRedisClient, type RedisClient, type RedisTarget } from '../shared/redis.ts';
import type { Registry } from 'prom-client';
import type { Logger } from '../shared/logger.ts';
import { silentLogger } from '../shared/logger.ts';
import { ValidationError } from '../shared/errors.ts';
import { Cache, type CacheConnections } from './cache.ts';
import { CacheCore } from './core.ts';
import { richJsonCodec, type Codec } from './codec.ts';
import { KeyStrategy } from './keys.ts';
import { L1Store, type L1Options } from './l1.ts';
import { parseBusMessage, PubSubChannel, type ChannelHandlers, type InvalidationBus } from './bus.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { CacheStatsCounters, registerCacheMetrics } from './metrics.ts';
import { MemoryDriver } from './drivers/memory.ts';
import { RedisDriver } from './drivers/redis.ts';
import { DeadlineGuard } from './deadline.ts';
import type { CacheDriver } from './driver.ts';
import { durationOr, type Duration } from './ttl.ts';

export interface CreateCacheOptions {
  /** null = in-process only (embedded default); otherwise L1 + Redis L2 + pub/sub invalidation bus. */
  redis: (RedisTarget & { keyPrefix: string }) | null;
  /**
   * With `redis: null`: the L2 driver to use instead of the in-process one (a third-party driver
   * implementing `CacheDriver`, tested with `ai-stack/cache/testing`). The cache closes it on close().
   */
  driver?: CacheDriver;
  registry?: Registry;
  logger?: Logger;
  /** Default namespace of the returned cache. Default `'default'`. */
  namespace?: string;
  /** Base schema version in every key (`v<version>`); raise it when cached shapes change. Default 1. */
  version?: number;
  /** L1 bounds, or false to disable L1 (Redis only). */
  l1?: L1Options | false;
  codec?: Codec;
  defaultTtl?: Duration;
  /** Default grace period (stale-if-error window). Default 0. */
  grace?: Duration;
  /** Default lease length for `lock: true`. Default 10 s. */
  lockTtl?: Duration;
  /** Swallow (and log/count) L2 failures on get/set so Redis outages degrade to L1 + loaders. Default true. */
  suppressL2Errors?: boolean;
  /** Per-command timeout in ms (fail fast instead of queueing). Default 500. */
  commandTimeoutMs?: number;
  circuitBreaker?: { threshold?: number; openMs?: number };
  /** Wrap namespaces in `{}` so each lives in one Redis Cluster slot. Default: on for a Cluster, off otherwise. */
  hashTag?: boolean;
  /** Keys longer than this are hashed. Default 200. */
  maxKeyLength?: number;
  /** Key prefix when `redis` is null. Default `'cache'`. */
  keyPrefix?: string;
  /** How long createCache waits for Redis before starting degraded. Default 2 s. */
  connectTimeoutMs?: number;
}

/** Builds a cache; the composition root calls this once and shares the result. */
export async function createCache(options: CreateCacheOptions): Promise<Cache> {
  const logger = options.logger ?? silentLogger;
  const namespace = options.namespace ?? 'default';
  const keyPrefix = (options.redis?.keyPrefix ?? options.keyPrefix ?? 'cache').replace(/:+$/, '');
  const keys = new KeyStrategy({
    prefix: keyPrefix,
    maxKeyLength: options.maxKeyLength,
    hashTag: options.hashTag ?? options.redis?.clusterSeeds !== undefined,
  });
  const l1 = options.l1 === false ? null : new L1Store(options.l1);
  const counters = new CacheStatsCounters();
  const breaker = new CircuitBreaker({
    ...options.circuitBreaker,
    onChange: (state) => logger.warn({ state }, `cache L2 circuit ${state}`),
  });
  const version = options.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 0) throw new ValidationError('version must be a non-negative integer');

  let driver: CacheDriver;
  let bus: InvalidationBus | null = null;
  let client: RedisClient | null = null;
  let openChannel: CacheConnections['openChannel'] = null;
  const ref: { core?: CacheCore } = {};
  if (options.redis === null) {
    driver = options.driver ?? new MemoryDriver();
  } else {
    if (options.driver !== undefined) throw new ValidationError('give either redis or driver, not both');
    const redisOptions: RedisOptions = {
      // Fail fast: no offline queue piling up while Redis is away (keyv #1470, fastify-rate-limit #84).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      retryStrategy: (times) => Math.min(50 * times, 1_000),
      lazyConnect: true,
    };
    client = createRedisClient(options.redis, redisOptions);
    client.on('error', (error: Error) => logger.debug({ err: error }, 'cache redis connection error'));
    const subscriber = createRedisClient(options.redis, { ...redisOptions, enableOfflineQueue: true });
    const commandTimeoutMs = options.commandTimeoutMs ?? 500;
    driver = new RedisDriver(client, { commandTimeoutMs });
    const guard = new DeadlineGuard(commandTimeoutMs);
    bus = new PubSubChannel({
      publisher: client,
      subscriber,
      channel: keys.internal('bus', 'invalidate'),
      guard,
      logger,
      ownsSubscriber: true,
      parse: parseBusMessage,
      onMessage: (message) => ref.core?.applyBusMessage(message),
      onResync: () => ref.core?.applyBusMessage({ op: 'all' }),
      onCount: (direction) => {
        if (direction === 'published') counters.busPublished++;
        else if (direction === 'received') counters.busReceived++;
        else counters.busDropped++;
      },
    });
    const publisher = client;
    openChannel = async <M extends object>(name: string, handlers: ChannelHandlers<M>) => {
      const channel = new PubSubChannel<M>({ publisher, subscriber, channel: keys.internal('channel', name), guard, logger, ...handlers });
      await channel.start();
      return channel;
    };
    const started = await Promise.allSettled([client.connect(), subscriber.connect()]);
    for (const s of started)
      if (s.status === 'rejected')
        logger.warn(
          { reason: s.reason instanceof Error ? s.reason.message : String(s.reason) },
          'cache started without Redis; serving from L1 and loaders until it is back',
        );
    await bus.start();
  }
  const histograms = registerCacheMetrics(options.registry, namespace, {
    counters,
    l1Size: () => ({ entries: l1?.size ?? 0, bytes: l1?.bytes ?? 0, evictions: l1?.evictions ?? 0 }),
    circuitOpen: () => breaker.isOpen,
  });
  const core = new CacheCore({
    driver,
    codec: options.codec ?? richJsonCodec,
    keys,
    l1,
    bus,
    breaker,
    counters,
    histograms,
    logger,
    defaults: {
      ttlMs: durationOr(options.defaultTtl, 3_600_000, 'defaultTtl'),
      graceMs: durationOr(options.grace, 0, 'grace'),
      lockTtlMs: durationOr(options.lockTtl, 10_000, 'lockTtl'),
      suppressL2Errors: options.suppressL2Errors ?? true,
      baseVersion: version,
    },
  });
  ref.core = core;
  const cache = new Cache(core, namespace, {
    raw: client,
    openChannel,
    close: async () => {
      histograms.unregister();
      await bus?.close();
      await driver.close();
      l1?.clear();
    },
  });
  await core.prefixFor(namespace);
  return cache;
}
