import { randomUUID } from 'node:crypto';
import * as vitest from 'vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheDriverSuite } from 'ai-stack/cache/testing';
import { createCache, RedisDriver, type Capability } from '../../src/cache/index.ts';
import { RedisRateLimitStore } from '../../src/http/toolkit/index.ts';
import { createRedisClient } from '../../src/shared/redis.ts';
import { Type } from 'typebox';
import { createRedisTaskBackend, createTaskSystem, defineTask, startWorkers } from '../../src/tasks/index.ts';
import { deleteKeysMatching } from '../support/redis.ts';
import { ThrowawayRedisCluster } from '../support/redis-cluster.ts';
import { runTaskConformanceSuite } from './tasks-suite.ts';

/**
 * Everything AI Stack keeps in Redis, on a throwaway 3-master Cluster (one replica each) on loopback ports:
 * the cache driver and task conformance suites as they run on one server, the whole cache (L2, bus, tags),
 * rate limits, and a failover (a master killed, its replica promoted) under load.
 */
let started: Promise<ThrowawayRedisCluster> | undefined;
const cluster = (): Promise<ThrowawayRedisCluster> => (started ??= ThrowawayRedisCluster.start());
const target = async () => ({ url: (await cluster()).seeds[0] ?? '', clusterSeeds: (await cluster()).seeds });
afterAll(async () => {
  await (await started)?.stop();
}, 30_000);

const ALL: Capability[] = ['scanning', 'counters', 'sets', 'hashes', 'locks'];

// Keys of one test spread over many slots (no hash tags here): the driver splits multi-key commands per slot.
cacheDriverSuite(vitest, {
  name: 'redis cluster',
  capabilities: ALL,
  create: async () => {
    const client = createRedisClient(await target(), { enableOfflineQueue: true, commandTimeout: 5_000 });
    await client.ping();
    const prefix = `conf-cluster-${randomUUID().slice(0, 8)}`;
    return {
      driver: new RedisDriver(client),
      prefix,
      cleanup: async () => {
        await deleteKeysMatching(client, `${prefix}*`);
        await client.quit();
      },
    };
  },
});

runTaskConformanceSuite('redis cluster', async () => createRedisTaskBackend({ ...(await target()), keyPrefix: `test:tasks:${randomUUID().slice(0, 8)}` }));

describe('AI Stack on a Redis Cluster', () => {
  it('the cache works across nodes: L2 shared, tags and clear slot-safe, the bus invalidates the other node', async () => {
    const redis = { ...(await target()), keyPrefix: `c-${randomUUID().slice(0, 8)}` };
    const a = await createCache({ redis });
    const b = await createCache({ redis });
    try {
      await a.set('user:1', { name: '张三' }, { tags: ['users'] });
      await a.set('user:2', { name: 'Li' }, { tags: ['users'] });
      expect(await b.get('user:1')).toEqual({ name: '张三' });
      expect(await b.getMany(['user:1', 'user:2', 'none'])).toEqual([{ name: '张三' }, { name: 'Li' }, undefined]);
      await a.set('user:1', { name: '李四' });
      await expect.poll(() => b.get('user:1'), { timeout: 5_000 }).toEqual({ name: '李四' });
      await b.deleteByTag('users');
      // Gone from L2 at once (b reads through), and from a's L1 once the bus message arrives.
      expect(await b.get('user:2')).toBeUndefined();
      await expect.poll(() => a.get('user:2'), { timeout: 5_000 }).toBeUndefined();
      const other = a.namespace('reports');
      await other.set('q1', 42);
      await a.clear();
      expect(await other.get('q1')).toBe(42);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('rate limits count on the cluster, one bucket per key whatever slot it hashes to', async () => {
    const client = createRedisClient(await target(), { enableOfflineQueue: true });
    await client.ping();
    const prefix = `rl-${randomUUID().slice(0, 8)}:`;
    try {
      const store = new RedisRateLimitStore({ redis: client, keyPrefix: prefix });
      const decisions = [];
      for (let i = 0; i < 5; i++) decisions.push(await store.consume('client-a', { limit: 3, windowMs: 60_000 }, 1));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
      expect((await store.consume('client-b', { limit: 3, windowMs: 60_000 }, 1)).allowed).toBe(true);
    } finally {
      await deleteKeysMatching(client, `${prefix}*`);
      await client.quit();
    }
  });

  it('a master killed under load: its replica takes over, and every acknowledged task completes once', { timeout: 120_000 }, async () => {
    const keyPrefix = `fo-${randomUUID().slice(0, 8)}`;
    const backend = createRedisTaskBackend({ ...(await target()), keyPrefix });
    const runs = new Map<number, number>();
    const record = defineTask('test.record', { queue: 'sync', args: Type.Object({ n: Type.Integer() }) }, async ({ n }) => {
      runs.set(n, (runs.get(n) ?? 0) + 1);
      return n;
    });
    const system = createTaskSystem({ backend, tasks: [record], queues: ['sync'] });
    const pool = await startWorkers(system, { concurrency: 8 });
    const accepted: number[] = [];
    try {
      const bound = system.task(record);
      let failover: Promise<number> | undefined;
      for (let n = 0; n < 300; n++) {
        // The queue's slot is the hash tag `{<prefix>}`: kill the master that serves it, mid-stream.
        if (n === 100) failover = (await cluster()).killMasterOf(`{${keyPrefix}}`);
        try {
          await bound.delay({ n });
          accepted.push(n);
        } catch {
          // Refused while the slot had no master: the producer knows it was not accepted.
        }
      }
      await failover;
      await expect.poll(() => accepted.every((n) => runs.has(n)), { timeout: 60_000, interval: 200 }).toBe(true);
      expect(accepted.length).toBeGreaterThan(150);
      expect([...runs.values()].every((count) => count === 1)).toBe(true);
    } finally {
      await pool.close({ timeoutMs: 5_000 });
      await system.close();
      await backend.close();
    }
  });
});
