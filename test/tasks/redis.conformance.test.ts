import { randomUUID } from 'node:crypto';
import { createRedisTaskBackend } from '../../src/tasks/index.ts';
import { runTaskConformanceSuite } from '../conformance/tasks-suite.ts';

export const REDIS_URL = 'redis://127.0.0.1:6379';

runTaskConformanceSuite('redis', async () => createRedisTaskBackend({ url: REDIS_URL, keyPrefix: `test:tasks:${randomUUID().slice(0, 8)}:` }));
