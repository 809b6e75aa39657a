import { redisEnv, sqliteEnv } from './env.ts';
import { surfaceScenarios } from './surface.ts';

surfaceScenarios('sqlite', sqliteEnv);
surfaceScenarios('redis', redisEnv);
