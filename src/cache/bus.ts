import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/logger.ts';
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

type Envelope = BusMessage & { v: 1; src: string };

/** Largest bus message accepted; anything larger is dropped as hostile. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface BusOptions {
  publisher: Redis;
  subscriber: Redis;
  channel: string;
  logger: Logger;
  onMessage: (message: BusMessage) => void;
  /** Called when the subscriber reconnects: messages may have been missed, so L1 must be flushed. */
  onResync: () => void;
  onCount?: (direction: 'published' | 'received' | 'dropped') => void;
  /** Bounds how long a publish may wait on a hung Redis. */
  guard?: DeadlineGuard;
}

export class InvalidationBus {
  readonly instanceId = randomUUID();
  // Our own messages come back to our subscriber; recognising them by prefix skips a JSON parse per write.
  readonly #selfPrefix = `{"v":1,"src":${JSON.stringify(this.instanceId)}`;
  readonly #options: BusOptions;
  /** Set once createCache's first connection attempt settled; later `ready` events mean a reconnect. */
  #booted = false;
  #subscribed = false;

  constructor(options: BusOptions) {
    this.#options = options;
    const { subscriber } = options;
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === options.channel) this.#receive(text);
    });
    subscriber.on('ready', () => {
      // A connection that comes (back) after boot may have missed invalidations: flush L1. If Redis
      // was absent at boot we never subscribed, and ioredis only re-subscribes what it had.
      if (this.#booted) {
        options.logger.warn('cache bus (re)connected; flushing L1 because invalidations may have been missed');
        options.onResync();
      }
      if (!this.#subscribed) void this.#subscribe();
    });
    // Errors are reported by the reconnect cycle; without a listener ioredis would print them.
    subscriber.on('error', () => {});
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
      this.#options.logger.warn({ err: error }, 'cache bus subscribe failed; will retry on reconnect');
    }
  }

  /** Publishes; failures are logged, not thrown: L1 TTLs bound the staleness, and reconnecting peers resync. */
  async publish(message: BusMessage): Promise<void> {
    try {
      const sent = this.#options.publisher.publish(this.#options.channel, JSON.stringify({ v: 1, src: this.instanceId, ...message }));
      await (this.#options.guard === undefined ? sent : this.#options.guard.wrap(sent));
      this.#options.onCount?.('published');
    } catch (error) {
      this.#options.logger.warn({ err: error, op: message.op }, 'cache bus publish failed');
      this.#options.onCount?.('dropped');
    }
  }

  #receive(text: string): void {
    if (text.startsWith(this.#selfPrefix)) return;
    const message = text.length <= MAX_MESSAGE_BYTES ? parseEnvelope(text) : undefined;
    if (message === undefined) {
      this.#options.onCount?.('dropped');
      return;
    }
    if (message.src === this.instanceId) return;
    this.#options.onCount?.('received');
    this.#options.onMessage(message);
  }

  async close(): Promise<void> {
    this.#options.subscriber.disconnect();
  }
}

/** Validates a message from the wire; anything malformed is ignored, never trusted. */
export function parseEnvelope(text: string): Envelope | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object') return undefined;
  const m = raw as Record<string, unknown>;
  if (m.v !== 1 || typeof m.src !== 'string') return undefined;
  switch (m.op) {
    case 'keys':
      return Array.isArray(m.keys) && m.keys.every((k) => typeof k === 'string') ? { v: 1, src: m.src, op: 'keys', keys: m.keys } : undefined;
    case 'prefix':
      return typeof m.prefix === 'string' && m.prefix.length > 0 ? { v: 1, src: m.src, op: 'prefix', prefix: m.prefix } : undefined;
    case 'pattern':
      return typeof m.pattern === 'string' && m.pattern.length > 0 && m.pattern.length <= 512 ? { v: 1, src: m.src, op: 'pattern', pattern: m.pattern } : undefined;
    case 'version':
      return typeof m.namespace === 'string' && Number.isSafeInteger(m.version) ? { v: 1, src: m.src, op: 'version', namespace: m.namespace, version: m.version as number } : undefined;
    case 'all':
      return { v: 1, src: m.src, op: 'all' };
    default:
      return undefined;
  }
}
