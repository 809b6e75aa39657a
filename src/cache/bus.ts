import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../shared/redis.ts';
import type { Logger } from '../shared/logger.ts';
import { isConnectionError, OutageLog } from '../shared/outage-log.ts';
import type { DeadlineGuard } from './deadline.ts';

/**
 * What travels on the bus: keys and scopes, never values (a receiver drops its L1 copy and reads
 * L2 on the next access). `src` suppresses our own echo.
 */
export type BusMessage =
  | { op: 'keys'; keys: string[] }
  | { op: 'prefix'; prefix: string }
  | { op: 'pattern'; pattern: string }
  | { op: 'version'; namespace: string; version: number }
  | { op: 'all' };

/** What a module plugging into `Cache.channel()` provides. */
export interface ChannelHandlers<M extends object> {
  /** Validates a received message; undefined drops it (messages come from the network: never trust them). */
  parse: (payload: Record<string, unknown>) => M | undefined;
  onMessage: (message: M) => void;
  /** The subscriber reconnected: messages may have been missed. */
  onResync: () => void;
}

/** Largest message accepted; anything larger is dropped as hostile. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface ChannelOptions<M extends object> {
  publisher: RedisClient;
  subscriber: RedisClient;
  channel: string;
  logger: Logger;
  /** Validates a received payload (the envelope's `v` and `src` already checked); undefined drops it. */
  parse: (payload: Record<string, unknown>) => M | undefined;
  onMessage: (message: M) => void;
  /** Called when the subscriber reconnects: messages may have been missed meanwhile. */
  onResync: () => void;
  onCount?: (direction: 'published' | 'received' | 'dropped') => void;
  /** Bounds how long a publish may wait on a hung Redis. */
  guard?: DeadlineGuard;
  /** Whether close() disconnects the subscriber (the cache's own bus) or only unsubscribes (channels sharing it). */
  ownsSubscriber?: boolean;
}

/**
 * One Redis pub/sub channel between the processes of a deployment: JSON messages in a versioned
 * envelope, our own echo suppressed, malformed or oversized messages dropped, and a resync callback
 * after every reconnect. The cache's L1 invalidation bus is one; other modules get theirs through
 * `Cache.channel()`.
 */
export class PubSubChannel<M extends object> {
  readonly instanceId = randomUUID();
  // Our own messages come back to our subscriber; recognising them by prefix skips a JSON parse per write.
  readonly #selfPrefix = `{"v":1,"src":${JSON.stringify(this.instanceId)}`;
  readonly #options: ChannelOptions<M>;
  readonly #onMessage = (channel: string, text: string): void => {
    if (channel === this.#options.channel) this.#receive(text);
  };
  readonly #onReady = (): void => {
    // A connection that comes (back) after start may have missed messages. If Redis was absent at
    // start we never subscribed, and ioredis only re-subscribes what it had.
    if (this.#booted) {
      this.#options.logger.warn({ channel: this.#options.channel }, 'pub/sub channel (re)connected; resyncing because messages may have been missed');
      this.#options.onResync();
    }
    if (!this.#subscribed) void this.#subscribe();
  };
  /** Set once the first connection attempt settled; later `ready` events mean a reconnect. */
  #booted = false;
  #subscribed = false;
  /** Publishes that fail because Redis is unreachable: one line when it starts, summaries, one when it ends (no stack per write). */
  readonly #publishOutage: OutageLog;

  constructor(options: ChannelOptions<M>) {
    this.#options = options;
    this.#publishOutage = new OutageLog(options.logger, `Redis pub/sub publishing on ${options.channel}`);
    options.subscriber.on('message', this.#onMessage);
    options.subscriber.on('ready', this.#onReady);
    // Errors are reported by the reconnect cycle; without a listener ioredis would print them.
    options.subscriber.on('error', ignore);
  }

  /** Subscribes if the subscriber is connected; call once the first connection attempt settled. */
  async start(): Promise<void> {
    if (this.#options.subscriber.status === 'ready') await this.#subscribe();
    this.#booted = true;
  }

  async #subscribe(): Promise<void> {
    try {
      await this.#options.subscriber.subscribe(this.#options.channel);
      this.#subscribed = true;
    } catch (error) {
      this.#options.logger.warn({ err: error, channel: this.#options.channel }, 'pub/sub subscribe failed; will retry on reconnect');
    }
  }

  /** Publishes; failures are logged, not thrown: receivers bound staleness with TTLs and resync on reconnect. */
  async publish(message: M): Promise<void> {
    try {
      const sent = this.#options.publisher.publish(this.#options.channel, JSON.stringify({ v: 1, src: this.instanceId, ...message }));
      await (this.#options.guard === undefined ? sent : this.#options.guard.wrap(sent));
      this.#options.onCount?.('published');
      this.#publishOutage.recovered();
    } catch (error) {
      if (isConnectionError(error)) this.#publishOutage.failed(error);
      else this.#options.logger.warn({ err: error, channel: this.#options.channel }, 'pub/sub publish failed');
      this.#options.onCount?.('dropped');
    }
  }

  #receive(text: string): void {
    if (text.startsWith(this.#selfPrefix)) return;
    const envelope = text.length <= MAX_MESSAGE_BYTES ? parseEnvelope(text) : undefined;
    if (envelope?.src === this.instanceId) return;
    const message = envelope === undefined ? undefined : this.#options.parse(envelope.payload);
    if (message === undefined) {
      this.#options.onCount?.('dropped');
      return;
    }
    this.#options.onCount?.('received');
    this.#options.onMessage(message);
  }

  async close(): Promise<void> {
    const { subscriber } = this.#options;
    subscriber.off('message', this.#onMessage);
    subscriber.off('ready', this.#onReady);
    subscriber.off('error', ignore);
    if (this.#options.ownsSubscriber) subscriber.disconnect();
    else if (this.#subscribed && subscriber.status === 'ready') await subscriber.unsubscribe(this.#options.channel).catch(ignore);
  }
}

function ignore(): void {}

/** Checks the envelope of a message from the wire (`v`, `src`); the payload is validated by the channel's parser. */
export function parseEnvelope(text: string): { src: string; payload: Record<string, unknown> } | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const payload = raw as Record<string, unknown>;
  if (payload.v !== 1 || typeof payload.src !== 'string') return undefined;
  return { src: payload.src, payload };
}

/** The cache's L1 invalidation messages; anything malformed is ignored, never trusted. */
export function parseBusMessage(m: Record<string, unknown>): BusMessage | undefined {
  switch (m.op) {
    case 'keys':
      return Array.isArray(m.keys) && m.keys.every((k) => typeof k === 'string') ? { op: 'keys', keys: m.keys } : undefined;
    case 'prefix':
      return typeof m.prefix === 'string' && m.prefix.length > 0 ? { op: 'prefix', prefix: m.prefix } : undefined;
    case 'pattern':
      return typeof m.pattern === 'string' && m.pattern.length > 0 && m.pattern.length <= 512 ? { op: 'pattern', pattern: m.pattern } : undefined;
    case 'version':
      return typeof m.namespace === 'string' && Number.isSafeInteger(m.version)
        ? { op: 'version', namespace: m.namespace, version: m.version as number }
        : undefined;
    case 'all':
      return { op: 'all' };
    default:
      return undefined;
  }
}

/** The cache's own bus: L1 invalidations between the processes sharing one Redis. */
export type InvalidationBus = PubSubChannel<BusMessage>;
