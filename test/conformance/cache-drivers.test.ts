import { Redis } from 'ioredis';
import { MemoryDriver, RedisDriver } from '../../src/cache/index.ts';
import { cacheDriverSuite } from './cache-driver-suite.ts';
import { dropPrefix, randomPrefix, REDIS_URL } from '../cache/support.ts';

cacheDriverSuite('memory', async () => ({ driver: new MemoryDriver(), prefix: randomPrefix('conf-mem'), cleanup: async () => {} }));

cacheDriverSuite('redis', async () => {
  const prefix = randomPrefix('conf-redis');
  const client = new Redis(REDIS_URL, { enableOfflineQueue: true, commandTimeout: 2_000 });
  const driver = new RedisDriver(client);
  return {
    driver,
    prefix,
    cleanup: async () => {
      await dropPrefix(prefix);
      await driver.close();
    },
  };
});

// ioredis prefixes the keys of every command but not SCAN's MATCH pattern nor its replies: the
// driver must add and strip the client's keyPrefix itself, or pattern deletes find nothing.
cacheDriverSuite('redis (client with ioredis keyPrefix)', async () => {
  const clientPrefix = randomPrefix('conf-kp');
  const client = new Redis(REDIS_URL, { enableOfflineQueue: true, commandTimeout: 2_000, keyPrefix: `${clientPrefix}:` });
  const driver = new RedisDriver(client);
  return {
    driver,
    prefix: 'p',
    cleanup: async () => {
      await dropPrefix(clientPrefix);
      await driver.close();
    },
  };
});
