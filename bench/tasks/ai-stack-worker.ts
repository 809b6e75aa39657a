// One ai-stack worker process of the Celery comparison: node bench/tasks/ai-stack-worker.ts <url> <prefix> <concurrency>
import { Redis } from 'ioredis';
import { startWorkers } from '../../src/tasks/index.ts';
import { benchTaskSystem, QUEUE } from './peer-task.ts';

const [url, prefix, concurrency] = process.argv.slice(2) as [string, string, string];
const redis = new Redis(url);
const { system, backend } = benchTaskSystem(url, prefix, redis);
const pool = await startWorkers(system, { queues: [QUEUE], concurrency: Number(concurrency) });
process.send?.('ready');
process.once('SIGTERM', () => {
  void (async () => {
    await pool.close();
    await system.close();
    await backend.close();
    redis.disconnect();
    process.exit(0);
  })();
});
