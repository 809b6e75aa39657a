import { createRedisBackend } from 'bullmq';
import { bindBullmq, type ConnectionWatcher, type TaskBackend } from '../../backend.ts';
import { createRedisTaskStore } from './redis-store.ts';
import { createRedisClient, type RedisTarget } from '../../../shared/redis.ts';

export interface RedisTaskBackendOptions extends RedisTarget {
  /** Namespaces every key (queues and store) as `<keyPrefix>:bull:*` and `<keyPrefix>:tasks:*`, so deployments and tests can share one Redis. */
  keyPrefix: string;
}

/**
 * The distributed backend: BullMQ's own Redis adapter plus a Redis-backed TaskStore.
 * One client is shared by all queues (BullMQ duplicates it for each worker's blocking fetch).
 */
export function createRedisTaskBackend(opts: RedisTaskBackendOptions): TaskBackend {
  // maxRetriesPerRequest null: BullMQ requires it so a Redis blip does not fail blocking commands.
  const client = createRedisClient(opts, { maxRetriesPerRequest: null, lazyConnect: false });
  // `ai-stack` and `ai-stack:` both give `ai-stack:bull:*` and `ai-stack:tasks:*`. On a Cluster the prefix is a
  // hash tag (`{ai-stack}:bull:*`): BullMQ's scripts touch several keys of a queue, and flows several queues,
  // which must all share one slot (BullMQ's own advice for Cluster).
  const trimmed = opts.keyPrefix.replace(/:+$/, '');
  const base = `${opts.clusterSeeds === undefined ? trimmed : `{${trimmed}}`}:`;
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
      closed ??=
        client.status === 'ready'
          ? client.quit().then(
              () => undefined,
              () => client.disconnect(),
            )
          : Promise.resolve(client.disconnect());
      return closed;
    },
    watchConnection(watcher) {
      watchers.push(watcher);
    },
  };
}

export { createRedisTaskStore } from './redis-store.ts';
