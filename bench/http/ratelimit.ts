import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { createRateLimiter, MemoryRateLimitStore, RedisRateLimitStore } from '../../src/http/toolkit/index.ts';

type Check = (key: string) => Promise<unknown>;

/** Runs `check` with `inFlight` concurrent callers for `ms`, returns checks per second. */
async function throughput(check: Check, ms: number, inFlight: number): Promise<number> {
  let done = 0;
  const until = Date.now() + ms;
  const worker = async (): Promise<void> => {
    while (Date.now() < until) {
      await check(`user_${(done * 7919) % 1000}`);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return Math.round(done / ((performance.now() - started) / 1000));
}

export interface RateLimitFigures {
  redis: Record<string, number>;
  redisSerial: Record<string, number>;
  memory: Record<string, number>;
}

/** (3) Rate-limit checks per second on the shared Redis: our Lua GCRA vs rate-limiter-flexible's Lua fixed window. */
export async function benchRateLimit(ms: number, redisUrl: string): Promise<RateLimitFigures> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const prefix = `bench:http:rl:${process.pid}:`;
  const ours = createRateLimiter({ limit: 1_000_000_000, windowMs: 60_000, store: new RedisRateLimitStore({ redis, keyPrefix: `${prefix}ours:` }) });
  const theirs = new RateLimiterRedis({ storeClient: redis, points: 1_000_000_000, duration: 60, keyPrefix: `${prefix}rlf` });
  const oursMemory = createRateLimiter({ limit: 1_000_000_000, windowMs: 60_000, store: new MemoryRateLimitStore() });
  const theirsMemory = new RateLimiterMemory({ points: 1_000_000_000, duration: 60 });
  const figures: RateLimitFigures = { redis: {}, redisSerial: {}, memory: {} };
  try {
    for (let round = 0; round < 2; round++) {
      for (const [name, check] of [['ai-stack', (k: string) => ours.isAllowed(k)], ['rate-limiter-flexible', (k: string) => theirs.consume(k)]] as const) {
        figures.redis[name] = Math.max(figures.redis[name] ?? 0, await throughput(check, ms, 64));
        figures.redisSerial[name] = Math.max(figures.redisSerial[name] ?? 0, await throughput(check, ms / 2, 1));
      }
    }
    figures.memory['ai-stack'] = await throughput((k) => oursMemory.isAllowed(k), ms / 2, 1);
    figures.memory['rate-limiter-flexible'] = await throughput((k) => theirsMemory.consume(k), ms / 2, 1);
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
  return figures;
}
