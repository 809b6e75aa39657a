import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Role, type Runtime } from '../../src/app/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { ThrowawayPostgres } from '../support/postgres-cluster.ts';
import { ThrowawayRedis } from '../support/redis.ts';

/**
 * Connection budgets (docs/deployment.md): each process holds at most AI_STACK_DB_POOL_SIZE PostgreSQL
 * connections whatever its roles and load, and a fixed number of Redis connections per role. Measured on
 * throwaway servers (nothing else connected), so the counts are this process's alone.
 */
const POOL = 3;
/** Redis connections per role: cache client + bus subscriber + task backend; each worker adds BullMQ's blocking connections. */
export const REDIS_CONNECTIONS: Record<string, number> = { api: 3, scheduler: 3, worker: 3 + 4, 'api,worker,scheduler': 3 + 4 };

describe('connection budgets on PostgreSQL and Redis', () => {
  let postgres: ThrowawayPostgres;
  let redis: ThrowawayRedis;
  const dirs: string[] = [];

  beforeAll(async () => {
    postgres = await ThrowawayPostgres.start({ maxConnections: 8 });
    redis = await ThrowawayRedis.start();
  }, 120_000);
  afterAll(async () => {
    await redis?.stop();
    await postgres?.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  async function runtime(roles: Role[], extra: Record<string, string> = {}): Promise<{ runtime: Runtime; url: string; key: string }> {
    const dataDir = mkdtempSync(join(tmpdir(), 'ai-stack-budget-'));
    dirs.push(dataDir);
    const config = loadConfig({
      PORT: '0',
      AI_STACK_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      AI_STACK_DB_POOL_SIZE: String(POOL),
      AI_STACK_ADMIN_KEY: 'ask_connection_budget_test_key_0123456789',
      ...extra,
    });
    const rt = await createRuntime(config, { roles, logger: silentLogger });
    const url = (await rt.listen()).replace('[::1]', '127.0.0.1');
    await rt.startBackground();
    return { runtime: rt, url, key: 'ask_connection_budget_test_key_0123456789' };
  }

  const pgConnections = async (): Promise<number> => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>(
        `select count(*) as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`,
      );
      return Number(rows[0]?.n ?? 0);
    } finally {
      await client.end();
    }
  };
  const redisConnections = async (): Promise<number> => {
    const client = new Redis(redis.url);
    try {
      const info = await client.info('clients');
      return Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? 0) - 1;
    } finally {
      client.disconnect();
    }
  };
  const burst = (url: string, key: string, n: number): Promise<number[]> =>
    Promise.all(
      Array.from({ length: n }, async (_, i) => {
        // A distinct filter per request: no response or query cache answers it, every one needs a connection.
        const res = await fetch(`${url}/api/v1/customers?limit=5&code=BUDGET-${i}-${Math.random().toString(36).slice(2, 8)}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );

  it.each([['api'], ['worker'], ['scheduler'], ['api', 'worker', 'scheduler']] as Role[][])(
    'a process with roles %s stays within its budget under load',
    { timeout: 120_000 },
    async (...roles) => {
      const { runtime: rt, url, key } = await runtime(roles);
      try {
        if (roles.includes('api')) expect(await burst(url, key, 60)).toEqual(Array.from({ length: 60 }, () => 200));
        expect(await pgConnections()).toBeLessThanOrEqual(POOL);
        expect(await redisConnections()).toBe(REDIS_CONNECTIONS[roles.join(',')]);
      } finally {
        await rt.stop();
      }
    },
  );

  it('more processes than max_connections allows: clear 503s, no crash, no hang, and recovery once one stops', { timeout: 120_000 }, async () => {
    // 3 processes × POOL 3 = 9 > max_connections 8: the last connections are refused by the server (53300).
    const nodes = [await runtime(['api']), await runtime(['api']), await runtime(['api'])];
    try {
      const answers = await Promise.all(nodes.map((n) => burst(n.url, n.key, 150)));
      const statuses = answers.flat();
      expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
      expect(statuses.filter((status) => status === 503).length).toBeGreaterThan(0);
      const refused = await fetch(`${nodes[2]?.url ?? ''}/api/v1/customers`, { headers: { authorization: `Bearer ${nodes[2]?.key ?? ''}` } });
      if (refused.status === 503) expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
      await nodes[0]?.runtime.stop();
      // Within the budget again: every request of the remaining nodes succeeds.
      const after = (await Promise.all(nodes.slice(1).map((n) => burst(n.url, n.key, 20)))).flat();
      expect(after.every((status) => status === 200)).toBe(true);
    } finally {
      for (const node of nodes) await node.runtime.stop();
    }
  });
});
