import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { isCluster, scanPage, type RedisClient } from '../../src/shared/redis.ts';
import { freePort } from './process.ts';

/** The shared Redis on loopback: tests write only under their own prefix and delete it afterwards. */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/** Deletes every key matching `pattern` (SCAN + UNLINK, never FLUSH*: the server is shared). Returns how many. */
export async function deleteKeysMatching(target: RedisClient | string, pattern: string): Promise<number> {
  const redis = typeof target === 'string' ? new Redis(target, { maxRetriesPerRequest: 1 }) : target;
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const page = await scanPage(redis, cursor, pattern, 1000);
      cursor = page.cursor;
      // One key per UNLINK on a Cluster: the keys of a page may live in different slots.
      if (isCluster(redis)) for (const key of page.keys) deleted += await redis.unlink(key);
      else if (page.keys.length > 0) deleted += await redis.unlink(...page.keys);
    } while (cursor !== '0');
  } finally {
    if (typeof target === 'string') redis.disconnect();
  }
  return deleted;
}

/** A throwaway redis-server (no persistence) on its own port, which a test may kill and restart; never the shared one. */
export class ThrowawayRedis {
  readonly port: number;
  #child: ChildProcess | undefined;

  constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<ThrowawayRedis> {
    const server = new ThrowawayRedis(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get process(): ChildProcess | undefined {
    return this.#child;
  }

  async start(): Promise<void> {
    this.#child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        probe.disconnect();
      }
    }
    throw new Error(`redis-server on ${this.port} did not start`);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.#child = undefined;
  }
}
