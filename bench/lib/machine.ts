import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';

export interface MachineFacts {
  cpus: number;
  cpuModel: string;
  node: string;
  /** 1, 5 and 15 minute load averages when the run began and ended: a run on a busy machine says so. */
  loadBefore: number[];
  loadAfter?: number[];
  /**
   * Share of all CPUs busy during one second sampled just before the run started (from /proc/stat). The load
   * average also counts the benchmark's own server, load generator, Redis and PostgreSQL (and, for a second run in
   * a row, what the previous one left in the 1-minute average), so this is the figure that says whether anything
   * *else* was running.
   */
  cpuBusyBeforePct?: number;
  redis?: string;
  postgres?: string;
  /** Installed versions of the peers and of our main dependencies, read from node_modules. */
  packages: Record<string, string>;
}

const ROOT = join(import.meta.dirname, '../..');

export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

async function redisVersion(url: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
  } catch (error) {
    return `unreachable (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
}

async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return rows[0]?.server_version ?? 'unknown';
  } catch (error) {
    return `unreachable (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function cpuTicks(): { busy: number; total: number } | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, n) => sum + n, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return undefined; // not Linux
  }
}

/** Percentage of all CPUs busy over `ms` of wall time, or undefined where /proc/stat does not exist. */
export async function sampleCpuBusyPct(ms = 1000): Promise<number | undefined> {
  const a = cpuTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = cpuTicks();
  if (!a || !b || b.total === a.total) return undefined;
  return Number(((100 * (b.busy - a.busy)) / (b.total - a.total)).toFixed(1));
}

export async function machineFacts(options: { redisUrl?: string; postgresUrl?: string; packages?: string[] } = {}): Promise<MachineFacts> {
  const facts: MachineFacts = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    loadBefore: loadavg().map((l) => Number(l.toFixed(2))),
    cpuBusyBeforePct: await sampleCpuBusyPct(),
    packages: Object.fromEntries((options.packages ?? []).map((name) => [name, packageVersion(name)])),
  };
  if (options.redisUrl) facts.redis = await redisVersion(options.redisUrl);
  if (options.postgresUrl) facts.postgres = await postgresVersion(options.postgresUrl);
  return facts;
}

export function finishFacts(facts: MachineFacts): MachineFacts {
  return { ...facts, loadAfter: loadavg().map((l) => Number(l.toFixed(2))) };
}
