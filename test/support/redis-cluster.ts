import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './process.ts';
import { eventually } from './wait.ts';

const run = promisify(execFile);

interface ClusterNode {
  port: number;
  child: ChildProcess;
  dir: string;
}

/**
 * A throwaway Redis Cluster on loopback (3 masters, one replica each by default), never the shared Redis:
 * `redis-server --cluster-enabled yes` per node and `redis-cli --cluster create`. Tests may kill a master.
 */
export class ThrowawayRedisCluster {
  readonly #nodes: ClusterNode[];

  private constructor(nodes: ClusterNode[]) {
    this.#nodes = nodes;
  }

  static async start(options: { masters?: number; replicas?: number } = {}): Promise<ThrowawayRedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicas ?? 1;
    const nodes: ClusterNode[] = [];
    const cluster = new ThrowawayRedisCluster(nodes);
    try {
      for (let i = 0; i < masters * (1 + replicas); i++) nodes.push(await startNode());
      const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 30_000 });
      await cluster.waitUntilHealthy(masters, replicas);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** Seed URLs of every live node, as REDIS_URL takes them (comma-separated). */
  get seeds(): string[] {
    return this.#nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null).map((n) => `redis://127.0.0.1:${n.port}`);
  }

  /** Kills (SIGKILL) the master serving `key`'s slot and waits until its replica has taken over. Returns the killed port. */
  async killMasterOf(key: string): Promise<number> {
    const probe = new Redis(this.seeds[0] ?? '', { maxRetriesPerRequest: 1 });
    let port: number;
    try {
      const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', key));
      const slots = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>;
      const owner = slots.find(([from, to]) => slot >= from && slot <= to);
      if (owner === undefined) throw new Error(`no node serves slot ${slot}`);
      port = Number(owner[2][1]);
    } finally {
      probe.disconnect();
    }
    const node = this.#nodes.find((n) => n.port === port);
    if (node === undefined) throw new Error(`port ${port} is not one of this cluster's nodes`);
    await new Promise<void>((resolve) => {
      node.child.once('exit', () => resolve());
      node.child.kill('SIGKILL');
    });
    await this.#waitFor(async (client) => {
      const slots = (await client.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>;
      const info = String(await client.call('CLUSTER', 'INFO'));
      return info.includes('cluster_state:ok') && slots.every((s) => Number(s[2][1]) !== port);
    }, 30_000);
    return port;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.#nodes.map(async (node) => {
        if (node.child.exitCode === null && node.child.signalCode === null) {
          await new Promise<void>((resolve) => {
            node.child.once('exit', () => resolve());
            node.child.kill('SIGKILL');
          });
        }
        rmSync(node.dir, { recursive: true, force: true });
      }),
    );
  }

  async waitUntilHealthy(masters: number, replicas: number): Promise<void> {
    await this.#waitFor(async (client) => {
      const info = String(await client.call('CLUSTER', 'INFO'));
      const nodes = String(await client.call('CLUSTER', 'NODES'));
      const connectedReplicas = nodes.split('\n').filter((line) => line.includes('slave') && line.includes('connected')).length;
      return info.includes('cluster_state:ok') && connectedReplicas >= masters * replicas;
    }, 30_000);
  }

  /** Every live node's check passes (each asked over its own short-lived connection). */
  async #waitFor(ready: (client: Redis) => Promise<boolean>, timeoutMs: number): Promise<void> {
    await eventually(
      async () => {
        const checks = await Promise.all(this.seeds.map(async (url) => checkNode(url, ready)));
        return checks.length > 0 && checks.every(Boolean);
      },
      timeoutMs,
      'the throwaway Redis Cluster to become healthy',
    );
  }
}

async function checkNode(url: string, ready: (client: Redis) => Promise<boolean>): Promise<boolean> {
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await ready(client);
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function startNode(): Promise<ClusterNode> {
  const port = await freePort();
  const busPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-redis-cluster-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--cluster-port',
      String(busPort),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, 'nodes.conf'),
      '--cluster-node-timeout',
      '1000',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      return { port, child, dir };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server (cluster node) on ${port} did not start`);
}
