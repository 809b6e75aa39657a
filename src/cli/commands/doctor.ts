import { access, constants, mkdir } from 'node:fs/promises';
import { createRedisClient } from '../../shared/redis.ts';
import { describeConfig, type Config } from '../../config/index.ts';
import { openDatabase } from '../../db/index.ts';
import type { Command } from '../command.ts';

interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Print the effective configuration (secrets masked) and check each backend',
  usage: 'Usage: ai-stack doctor',
  async run(_args, ctx) {
    const config = ctx.loadConfig();
    ctx.stdout.write('Effective configuration:\n');
    for (const [name, value] of Object.entries(describeConfig(config))) ctx.stdout.write(`  ${name.padEnd(34)} ${value}\n`);
    ctx.stdout.write('\nChecks:\n');
    const results = [await checkDataDir(config), await checkDatabase(config), await checkRedis(config)];
    for (const r of results) ctx.stdout.write(`  [${r.ok ? ' ok ' : 'FAIL'}] ${r.name.padEnd(10)} ${r.detail}\n`);
    return results.every((r) => r.ok) ? 0 : 1;
  },
};

async function checkDataDir(config: Config): Promise<CheckResult> {
  try {
    await mkdir(config.dataDir, { recursive: true });
    await access(config.dataDir, constants.W_OK);
    return { name: 'data dir', ok: true, detail: `${config.dataDir} is writable` };
  } catch (error) {
    return { name: 'data dir', ok: false, detail: (error as Error).message };
  }
}

async function checkDatabase(config: Config): Promise<CheckResult> {
  const started = performance.now();
  try {
    const db = await openDatabase(config.database);
    try {
      await db.ping();
    } finally {
      await db.close();
    }
    return { name: 'database', ok: true, detail: `${config.database.kind} answered in ${(performance.now() - started).toFixed(1)} ms` };
  } catch (error) {
    return { name: 'database', ok: false, detail: (error as Error).message };
  }
}

async function checkRedis(config: Config): Promise<CheckResult> {
  if (!config.redis) return { name: 'redis', ok: true, detail: 'not configured (in-process drivers)' };
  const client = createRedisClient(config.redis, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  const started = performance.now();
  try {
    await client.connect();
    const pong = await client.ping();
    const kind = config.redis.clusterSeeds ? `Cluster (${config.redis.clusterSeeds.length} seed node(s))` : 'server';
    return { name: 'redis', ok: pong === 'PONG', detail: `${kind} answered ${pong} in ${(performance.now() - started).toFixed(1)} ms` };
  } catch (error) {
    return { name: 'redis', ok: false, detail: (error as Error).message };
  } finally {
    client.disconnect();
  }
}
