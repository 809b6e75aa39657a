import { redisEnv, sqliteEnv } from './env.ts';
import { queueScenarios } from './scenarios.ts';

queueScenarios('sqlite', sqliteEnv);
// The same scenarios on BullMQ's own Redis backend: proof that the semantics match.
queueScenarios('redis', redisEnv);
