import { Redis } from 'ioredis';
import { createRedisBackend } from 'bullmq';
import { bindBullmq, type ConnectionWatcher, type TaskBackend } from '../../backend.ts';
import { createRedisTaskStore } from './redis-store.ts';

export interface RedisTaskBackendOptions {
  /** e.g. `redis://127.0.0.1:6379/0` */
  url: string;
  /** Namespaces every key (queues and store) as `<keyPrefix>:bull:*` and `<keyPrefix>:tasks:*`, so deployments and tests can share one Redis. */
  keyPrefix: string;
}

/**
 * The distributed backend: BullMQ's own Redis adapter plus a Redis-backed TaskStore.
 * One client is shared by all queues (BullMQ duplicates it for each worker's blocking fetch).
 */
export function createRedisTaskBackend(opts: RedisTaskBackendOptions): TaskBackend {
  // maxRetriesPerRequest null: BullMQ requires it so a Redis blip does not fail blocking commands.
  const client = new Redis(opts.url, { maxRetriesPerRequest: null, lazyConnect: false });
  // `ai-stack` and `ai-stack:` both give `ai-stack:bull:*` and `ai-stack:tasks:*`.
  const base = `${opts.keyPrefix.replace(/:+$/, '')}:`;
  // Without a listener every failed reconnect would be an "Unhandled error event" dump on stderr.
  const watchers: ConnectionWatcher[] = [];
  client.on('error', (error: unknown) => watchers.forEach((w) => w.error(error)));
  client.on('ready', () => watchers.forEach((w) => w.ready()));
  let closed: Promise<void> | undefined;
  return {
    kind: 'redis',
    bullmq: bindBullmq(createRedisBackend, client, `${base}bull`),
    store: createRedisTaskStore(client, `${base}tasks:`),
    close() {
      // QUIT waits for a reply, which never comes while Redis is unreachable: then just drop the connection.
      closed ??= client.status === 'ready'
        ? client.quit().then(() => undefined, () => client.disconnect())
        : Promise.resolve(client.disconnect());
      return closed;
    },
    watchConnection(watcher) {
      watchers.push(watcher);
    },
  };
}

export { createRedisTaskStore } from './redis-store.ts';
