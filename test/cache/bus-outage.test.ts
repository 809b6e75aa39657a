import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { PubSubChannel } from '../../src/cache/bus.ts';
import { createRedisClient, type RedisClient } from '../../src/shared/redis.ts';
import { ThrowawayRedis } from '../support/redis.ts';
import { eventually } from '../support/wait.ts';

describe('a pub/sub channel while Redis is down', () => {
  const clients: RedisClient[] = [];
  let redis: ThrowawayRedis | undefined;
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await redis?.stop();
  });

  it('logs one line when publishing starts failing and one when it works again: no stack trace per write', async () => {
    redis = await ThrowawayRedis.start();
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    // As the cache makes them: the publisher fails fast (no offline queue), the subscriber queues.
    const publisher = createRedisClient({ url: redis.url }, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const subscriber = createRedisClient({ url: redis.url }, { enableOfflineQueue: true });
    for (const client of [publisher, subscriber]) client.on('error', () => undefined);
    clients.push(publisher, subscriber);
    const counts = { published: 0, received: 0, dropped: 0 };
    const channel = new PubSubChannel<{ n: number }>({
      publisher,
      subscriber,
      channel: 'outage-probe',
      logger,
      parse: (payload) => (typeof payload['n'] === 'number' ? { n: payload['n'] } : undefined),
      onMessage: () => undefined,
      onResync: () => undefined,
      onCount: (direction) => counts[direction]++,
    });
    await eventually(async () => publisher.status === 'ready' && subscriber.status === 'ready', 10_000, 'both clients connected');
    await channel.start();
    await channel.publish({ n: 0 });
    expect(counts.published).toBe(1);

    await redis.stop();
    await eventually(async () => publisher.status !== 'ready', 10_000, 'the publisher to notice');
    for (let n = 1; n <= 20; n++) await channel.publish({ n });
    expect(counts.dropped).toBe(20);
    const down = lines.filter((line) => String(line['msg']).includes('outage-probe'));
    expect(down.map((line) => line['msg'])).toEqual(['Redis pub/sub publishing on outage-probe unreachable; retrying in the background']);
    expect(JSON.stringify(lines)).not.toMatch(/\\n\s+at /);

    await redis.start();
    await eventually(async () => publisher.status === 'ready', 20_000, 'the publisher to reconnect');
    await channel.publish({ n: 21 });
    expect(counts.published).toBe(2);
    expect(lines.map((line) => line['msg'])).toContain('Redis pub/sub publishing on outage-probe reachable again');
    await channel.close();
  }, 60_000);
});
