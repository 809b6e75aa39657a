import { randomUUID } from 'node:crypto';
import { createRedisTaskBackend } from '../../src/tasks/index.ts';
import { runTaskConformanceSuite } from '../conformance/tasks-suite.ts';
import { REDIS_URL } from './fixtures/redis.ts';

runTaskConformanceSuite('redis', async () => createRedisTaskBackend({ url: REDIS_URL, keyPrefix: `test:tasks:${randomUUID().slice(0, 8)}:` }));
