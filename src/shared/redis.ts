import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** One Redis server or a Redis Cluster: everything AI Stack sends works on both. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one URL, or a Cluster's seed nodes (`REDIS_URL=redis://a:7000,redis://b:7001` or `REDIS_CLUSTER=1`). */
export interface RedisTarget {
  url: string;
  /** Every seed node of a Cluster (the first is `url`); undefined for a single server. */
  clusterSeeds?: readonly string[];
}

/** A client for `target`: an ioredis Cluster over the seeds, or one connection. Options apply to every node. */
export function createRedisClient(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  if (target.clusterSeeds === undefined) return new Redis(target.url, options);
  const first = new URL(target.clusterSeeds[0] ?? target.url);
  const { keyPrefix, enableOfflineQueue, lazyConnect, maxRetriesPerRequest, retryStrategy, ...nodeOptions } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions: {
      ...nodeOptions,
      ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
      ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
      ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
      ...(maxRetriesPerRequest !== undefined ? { maxRetriesPerRequest } : {}),
    },
    ...(keyPrefix !== undefined ? { keyPrefix } : {}),
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    ...(lazyConnect !== undefined ? { lazyConnect } : {}),
    ...(typeof retryStrategy === 'function' ? { clusterRetryStrategy: (times: number) => retryStrategy(times) ?? null } : {}),
    // A failover moves slots: follow MOVED/ASK and refresh the slot map instead of failing the command.
    maxRedirections: 16,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 200,
  };
  return new Cluster(
    target.clusterSeeds.map((seed) => {
      const u = new URL(seed);
      return { host: u.hostname, port: Number(u.port || 6379) };
    }),
    clusterOptions,
  );
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** The part of a key Redis Cluster hashes: the first non-empty `{…}` hash tag, else the whole key. */
export function slotSource(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/**
 * Splits keys into groups that surely share a Cluster slot (same hash-tag source), keeping each key's
 * index, so a multi-key command runs once per group instead of failing with CROSSSLOT.
 */
export function groupBySlot(keys: readonly string[]): Array<{ keys: string[]; indexes: number[] }> {
  const groups = new Map<string, { keys: string[]; indexes: number[] }>();
  keys.forEach((key, index) => {
    const source = slotSource(key);
    let group = groups.get(source);
    if (group === undefined) groups.set(source, (group = { keys: [], indexes: [] }));
    group.keys.push(key);
    group.indexes.push(index);
  });
  return [...groups.values()];
}

/** One page of SCAN over a server or every master of a Cluster; the cursor `0` starts and ends the walk. */
export async function scanPage(client: RedisClient, cursor: string, match: string, count: number): Promise<{ cursor: string; keys: string[] }> {
  if (!isCluster(client)) {
    const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', count);
    return { cursor: next, keys };
  }
  // Cluster cursors are `<master index>:<that master's cursor>`, masters in a stable (address) order.
  const masters = client.nodes('master').sort((a, b) => nodeName(a).localeCompare(nodeName(b)));
  // Before the slot map is loaded there is no master to ask: an empty answer would claim there are no keys.
  if (masters.length === 0) throw new Error(`Redis Cluster not connected (${client.status}): no master known yet`);
  const [nodePart, nodeCursor] = cursor === '0' ? ['0', '0'] : cursor.split(':');
  const index = Number(nodePart);
  const node = masters[index];
  // Same words as Redis for a cursor it never gave out, so callers treat it as bad input, not an outage.
  if (!/^\d+$/.test(nodePart ?? '') || !/^\d+$/.test(nodeCursor ?? '')) throw new Error(`ERR invalid cursor "${cursor.slice(0, 40)}"`);
  // A master gone since the previous page (failover): its replica's keys are found again from the next master on.
  if (node === undefined || nodeCursor === undefined) return { cursor: '0', keys: [] };
  const [next, keys] = await node.scan(nodeCursor, 'MATCH', match, 'COUNT', count);
  if (next !== '0') return { cursor: `${index}:${next}`, keys };
  return { cursor: index + 1 < masters.length ? `${index + 1}:0` : '0', keys };
}

function nodeName(node: Redis): string {
  return `${node.options.host ?? ''}:${node.options.port ?? 0}`;
}
