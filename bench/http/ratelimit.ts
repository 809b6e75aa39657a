import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { rotatedRounds, type Contender } from '../lib/rounds.ts';
import { createRateLimiter, MemoryRateLimitStore, RedisRateLimitStore } from '../../src/http/toolkit/index.ts';

type Check = (key: string) => Promise<unknown>;

/** Runs `check` with `inFlight` concurrent callers for `ms`: checks per second and client CPU µs per check. */
async function throughput(check: Check, ms: number, inFlight: number): Promise<{ perSecond: number; cpuUs: number }> {
  let done = 0;
  const until = Date.now() + ms;
  const worker = async (): Promise<void> => {
    while (Date.now() < until) {
      await check(`user_${(done * 7919) % 1000}`);
      done++;
    }
  };
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  return { perSecond: Math.round(done / ((performance.now() - started) / 1000)), cpuUs: Math.round(((cpu.user + cpu.system) / done) * 10) / 10 };
}

export interface RateLimitFigures {
  checks_per_s: number;
  client_cpu_us_per_check: number;
  checks_per_s_serial: number;
  memory_checks_per_s: number;
}

/**
 * (3) Rate-limit checks per second on the shared Redis: our Lua GCRA vs rate-limiter-flexible's Lua fixed
 * window (its recommended Redis limiter), 64 and 1 in flight, and both in-process limiters; rotated rounds.
 */
export async function benchRateLimit(ms: number, redisUrl: string, rounds: number): Promise<Record<string, RateLimitFigures[]>> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const prefix = `bench:http:rl:${process.pid}:`;
  const ours = createRateLimiter({ limit: 1_000_000_000, windowMs: 60_000, store: new RedisRateLimitStore({ redis, keyPrefix: `${prefix}ours:` }) });
  const theirs = new RateLimiterRedis({ storeClient: redis, points: 1_000_000_000, duration: 60, keyPrefix: `${prefix}rlf` });
  const oursMemory = createRateLimiter({ limit: 1_000_000_000, windowMs: 60_000, store: new MemoryRateLimitStore() });
  const theirsMemory = new RateLimiterMemory({ points: 1_000_000_000, duration: 60 });
  const contender = (name: string, check: Check, memory: Check): Contender<RateLimitFigures> => ({
    name,
    async run() {
      const parallel = await throughput(check, ms, 64);
      return {
        checks_per_s: parallel.perSecond,
        client_cpu_us_per_check: parallel.cpuUs,
        checks_per_s_serial: (await throughput(check, ms / 2, 1)).perSecond,
        memory_checks_per_s: (await throughput(memory, ms / 4, 1)).perSecond,
      };
    },
  });
  try {
    return await rotatedRounds(
      [
        contender(
          'ai-stack',
          (k) => ours.isAllowed(k),
          (k) => oursMemory.isAllowed(k),
        ),
        contender(
          'rate-limiter-flexible',
          (k) => theirs.consume(k),
          (k) => theirsMemory.consume(k),
        ),
      ],
      { rounds },
    );
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
}
