import { access, constants, mkdir } from 'node:fs/promises';
import type { Config } from '../config/index.ts';
import { openDatabase } from '../db/index.ts';
import { createRedisClient } from '../shared/redis.ts';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * How a check reaches a backend. The CLI leaves these out and opens its own connections from the config;
 * the running server passes the ones it serves with, so the report says what the server itself reaches.
 */
export interface DoctorProbes {
  database?: () => Promise<void>;
  redis?: () => Promise<void>;
}

export async function runChecks(config: Config, probes: DoctorProbes = {}): Promise<DoctorCheck[]> {
  return [await checkDataDir(config), await checkDatabase(config, probes.database), await checkRedis(config, probes.redis)];
}

async function checkDataDir(config: Config): Promise<DoctorCheck> {
  try {
    await mkdir(config.dataDir, { recursive: true });
    await access(config.dataDir, constants.W_OK);
    return { name: 'data dir', ok: true, detail: `${config.dataDir} is writable` };
  } catch (error) {
    return { name: 'data dir', ok: false, detail: (error as Error).message };
  }
}

async function checkDatabase(config: Config, probe = () => pingFreshDatabase(config)): Promise<DoctorCheck> {
  const started = performance.now();
  try {
    await probe();
    return { name: 'database', ok: true, detail: `${config.database.kind} answered in ${elapsed(started)} ms` };
  } catch (error) {
    return { name: 'database', ok: false, detail: (error as Error).message };
  }
}

async function checkRedis(config: Config, probe = () => pingFreshRedis(config)): Promise<DoctorCheck> {
  if (!config.redis) return { name: 'redis', ok: true, detail: 'not configured (in-process drivers)' };
  const kind = config.redis.clusterSeeds ? `Cluster (${config.redis.clusterSeeds.length} seed node(s))` : 'server';
  const started = performance.now();
  try {
    await probe();
    return { name: 'redis', ok: true, detail: `${kind} answered PONG in ${elapsed(started)} ms` };
  } catch (error) {
    return { name: 'redis', ok: false, detail: (error as Error).message };
  }
}

async function pingFreshDatabase(config: Config): Promise<void> {
  const db = await openDatabase(config.database);
  try {
    await db.ping();
  } finally {
    await db.close();
  }
}

async function pingFreshRedis(config: Config): Promise<void> {
  if (!config.redis) return;
  const client = createRedisClient(config.redis, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const pong: string = await client.ping();
    if (pong !== 'PONG') throw new Error(`Redis answered ${pong} instead of PONG`);
  } finally {
    client.disconnect();
  }
}

const elapsed = (started: number) => (performance.now() - started).toFixed(1);
