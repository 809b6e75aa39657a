import * as vitest from 'vitest';
import { Redis } from 'ioredis';
import { cacheDriverSuite } from 'ai-stack/cache/testing';
import { MemoryDriver, RedisDriver, type Capability } from '../../src/cache/index.ts';
import { MapDriver } from '../cache/fixtures/map-driver.ts';
import { dropPrefix, randomPrefix, REDIS_URL } from '../cache/support.ts';

// The exported suite (ai-stack/cache/testing), run the way a third-party driver would run it.
const ALL: Capability[] = ['scanning', 'counters', 'sets', 'hashes', 'locks'];

cacheDriverSuite(vitest, {
  name: 'memory',
  capabilities: ALL,
  create: async () => ({ driver: new MemoryDriver(), prefix: randomPrefix('conf-mem'), cleanup: async () => {} }),
});

cacheDriverSuite(vitest, {
  name: 'redis',
  capabilities: ALL,
  create: async () => {
    const prefix = randomPrefix('conf-redis');
    const driver = new RedisDriver(new Redis(REDIS_URL, { enableOfflineQueue: true, commandTimeout: 2_000 }));
    return {
      driver,
      prefix,
      cleanup: async () => {
        await dropPrefix(prefix);
        await driver.close();
      },
    };
  },
});

// ioredis prefixes the keys of every command but not SCAN's MATCH pattern nor its replies: the
// driver must add and strip the client's keyPrefix itself, or pattern deletes find nothing.
cacheDriverSuite(vitest, {
  name: 'redis (client with ioredis keyPrefix)',
  capabilities: ALL,
  create: async () => {
    const clientPrefix = randomPrefix('conf-kp');
    const driver = new RedisDriver(new Redis(REDIS_URL, { enableOfflineQueue: true, commandTimeout: 2_000, keyPrefix: `${clientPrefix}:` }));
    return {
      driver,
      prefix: 'p',
      cleanup: async () => {
        await dropPrefix(clientPrefix);
        await driver.close();
      },
    };
  },
});

// A driver with the core contract only: the capability tests are not registered for it.
cacheDriverSuite(vitest, {
  name: 'core-only map driver (test fixture)',
  capabilities: [],
  create: async () => ({ driver: new MapDriver(), prefix: 'map', cleanup: async () => {} }),
});
