import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../support/db.ts';
import { LoadBalancer } from '../support/load-balancer.ts';
import { freePort, runCli, type CliProcess } from '../support/process.ts';
import { deleteKeysMatching, SHARED_REDIS_URL } from '../support/redis.ts';
import { eventually } from '../support/wait.ts';

/**
 * Many processes on PostgreSQL and Redis, as a deployment runs them: 2 API nodes behind a load balancer,
 * 2 worker nodes, 2 schedulers (`ai-stack start --roles …`), under a mixed load of reads, writes, uploads,
 * reports, mail and tasks, with a rolling restart (SIGTERM one process at a time) in the middle.
 */
const FIXTURE = join(import.meta.dirname, 'fixtures/topology-tasks.ts');
const LOAD_MS = 20_000;
const RATE_PER_MINUTE = 600;
const t0 = Date.now();
// Progress on stderr: when this test is slow or stuck, the CI log says in which phase.
const phase = (text: string): void => void process.stderr.write(`[topology +${((Date.now() - t0) / 1000).toFixed(1)}s] ${text}\n`);

interface Node {
  name: string;
  roles: string;
  port: number;
  process: CliProcess;
  dataDir: string;
}

describe('topology: 2 API nodes + load balancer, 2 workers, 2 schedulers on PostgreSQL and Redis', () => {
  const prefix = `topo-${randomBytes(4).toString('hex')}`;
  const adminKey = `ask_topology_${randomBytes(24).toString('base64url')}`;
  let testDb: TestDatabase;
  let env: Record<string, string>;
  const nodes: Node[] = [];
  let lb: LoadBalancer & { url: string };

  async function launch(node: Omit<Node, 'process'>): Promise<Node> {
    const process = runCli(['start', '--roles', node.roles, '--tasks', FIXTURE], { ...env, PORT: String(node.port), AI_STACK_DATA_DIR: node.dataDir });
    const started = { ...node, process };
    await waitReady(started);
    return started;
  }

  beforeAll(async () => {
    testDb = await openTestDatabase('postgres');
    await sql`create table topology_runs (n integer primary key, runs integer not null)`.execute(testDb.db.kysely);
    await sql`create table topology_ticks (id text primary key, runs integer not null)`.execute(testDb.db.kysely);
    if (testDb.config.kind !== 'postgres') throw new Error('PostgreSQL expected');
    env = {
      DATABASE_URL: testDb.config.url,
      REDIS_URL: SHARED_REDIS_URL,
      AI_STACK_REDIS_PREFIX: prefix,
      AI_STACK_ADMIN_KEY: adminKey,
      AI_STACK_RATE_LIMIT_PER_MINUTE: String(RATE_PER_MINUTE),
      AI_STACK_SHUTDOWN_TIMEOUT_MS: '15000',
      LOG_LEVEL: 'warn',
    };
    const specs: Array<[string, string]> = [
      ['api-1', 'api'],
      ['api-2', 'api'],
      ['worker-1', 'worker'],
      ['worker-2', 'worker'],
      ['scheduler-1', 'scheduler'],
      ['scheduler-2', 'scheduler'],
    ];
    // The first API node migrates the fresh schema alone (two first-ever migrations at once can race on creating
    // Kysely's own lock table); the other five start at once, as an orchestrator starts them.
    phase('starting 6 processes');
    const ports = await Promise.all(specs.map(() => freePort()));
    const launchAt = (i: number): Promise<Node> => {
      const [name, roles] = specs[i] ?? ['?', 'api'];
      return launch({ name, roles, port: ports[i] ?? 0, dataDir: mkdtempSync(join(tmpdir(), `ai-stack-${name}-`)) });
    };
    nodes.push(await launchAt(0));
    nodes.push(...(await Promise.all(specs.slice(1).map((_, i) => launchAt(i + 1)))));
    phase('all ready');
    lb = await LoadBalancer.start(nodes.filter((n) => n.roles === 'api').map((n) => n.port));
  }, 240_000);

  afterAll(async () => {
    await lb?.close();
    for (const node of nodes) {
      node.process.child.kill('SIGKILL');
      rmSync(node.dataDir, { recursive: true, force: true });
    }
    await testDb?.cleanup();
    await deleteKeysMatching(SHARED_REDIS_URL, `${prefix}*`);
  }, 60_000);

  it('keeps every guarantee under mixed load and a rolling restart of every process', { timeout: 540_000 }, async () => {
    const keys = {
      read: await createKey('reads', ['read']),
      write: await createKey('writes', ['read', 'write']),
      limited: await createKey('limited', ['read']),
    };
    const failures: string[] = [];
    const acceptedTasks: number[] = [];
    const writtenIds: number[] = [];
    let stop = false;

    const call = async (path: string, key: string, init: RequestInit = {}): Promise<Response> => {
      const res = await fetch(lb.url + path, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.headers ?? {}) } });
      if (res.status >= 500) failures.push(`${init.method ?? 'GET'} ${path} → ${res.status} ${(await res.text()).slice(0, 200)}`);
      return res;
    };
    const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const loop = async (pauseMs: number, step: (i: number) => Promise<void>): Promise<void> => {
      for (let i = 0; !stop; i++) {
        await step(i).catch(
          (error: unknown) =>
            void failures.push(`step ${i}: ${String(error)} ${error instanceof Error && error.cause instanceof Error ? error.cause.message : ''}`),
        );
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    };

    const load = [
      loop(50, async () => void (await call('/api/v1/customers?limit=5', keys.read)).arrayBuffer()),
      loop(100, async (i) => {
        const res = await call('/api/v1/customers', keys.write, json({ code: `TOPO-${prefix}-${i}`, name: `客户 ${i}`, country: 'CN' }));
        if (res.status === 201) writtenIds.push(((await res.json()) as { id: number }).id);
        else if (res.status < 500) failures.push(`write ${i} → ${res.status}`);
      }),
      loop(60, async (n) => {
        const res = await call('/admin/tasks/apply/topology.record', adminKey, json({ args: { n } }));
        if (res.status === 202) acceptedTasks.push(n);
        else failures.push(`task ${n} → ${res.status}`);
      }),
      loop(800, async (i) => {
        const form = new FormData();
        form.append('file', new Blob([`拓扑测试文档 ${prefix} ${i}。AI Stack runs as many processes.`]), `topology-${i}.txt`);
        const res = await call('/api/v1/documents', keys.write, { method: 'POST', body: form });
        if (res.status !== 202 && res.status !== 200) failures.push(`upload ${i} → ${res.status}`);
      }),
      loop(1_000, async () => {
        const res = await call('/admin/tasks/apply/reports.generate_stats_report', adminKey, json({ args: {} }));
        if (res.status !== 202) failures.push(`report → ${res.status} ${await res.text()}`);
      }),
      loop(1_000, async (i) => {
        const res = await call(
          '/admin/tasks/apply/emails.send_email',
          adminKey,
          json({ args: { to: [`user${i}@example.com`], subject: `拓扑 ${i}`, text: 'hello' } }),
        );
        if (res.status !== 202) failures.push(`mail → ${res.status} ${await res.text()}`);
      }),
    ];

    // The global rate limit, counted across both API nodes through Redis, while everything else runs.
    const limited = (async () => {
      let allowed = 0;
      const started = Date.now();
      while (Date.now() - started < 10_000) {
        const answers = await Promise.all(Array.from({ length: 8 }, () => call('/api/v1/customers?limit=1', keys.limited)));
        for (const res of answers) {
          if (res.status === 200) allowed++;
          else if (res.status !== 429) failures.push(`rate-limited stream → ${res.status}`);
          await res.arrayBuffer();
        }
      }
      return { allowed, seconds: (Date.now() - started) / 1000 };
    })();

    // Rolling restart: each process gets SIGTERM, must exit 0, and comes back; the load never stops.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const exits: Array<[string, number | null]> = [];
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      if (node === undefined) continue;
      phase(`SIGTERM ${node.name}`);
      node.process.child.kill('SIGTERM');
      exits.push([node.name, await node.process.exited]);
      phase(`${node.name} exited ${String(exits.at(-1)?.[1])}; restarting`);
      nodes[i] = await launch(node);
      phase(`${node.name} ready again`);
    }
    const rate = await limited;
    const remaining = LOAD_MS - 2_000;
    if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
    stop = true;
    phase('load stopping');
    await Promise.all(load);
    phase(`load stopped: ${acceptedTasks.length} tasks, ${writtenIds.length} writes, ${failures.length} failures, ${lb.retried} retried by the balancer`);

    expect(
      exits.every(([, code]) => code === 0),
      JSON.stringify(exits),
    ).toBe(true);
    expect(failures, failures.slice(0, 10).join('\n')).toEqual([]);

    // The bucket starts full (RATE_PER_MINUTE) and refills at RATE_PER_MINUTE/60 per second, shared by both nodes.
    const expected = RATE_PER_MINUTE + (RATE_PER_MINUTE / 60) * rate.seconds;
    expect(Math.abs(rate.allowed - expected) / expected, `allowed ${rate.allowed}, expected ≈ ${expected.toFixed(0)}`).toBeLessThanOrEqual(0.05);

    // Every accepted write is readable from both API nodes directly (each has its own L1 and query cache).
    const apiNodes = nodes.filter((n) => n.roles === 'api');
    for (const id of writtenIds.slice(-20)) {
      for (const node of apiNodes) {
        const res = await fetch(`http://127.0.0.1:${node.port}/api/v1/customers/${id}`, { headers: { authorization: `Bearer ${keys.read}` } });
        expect(res.status).toBe(200);
      }
    }

    // Every accepted task ran exactly once, counted in the database.
    const db = testDb.db.kysely;
    const runsOf = async () => (await sql<{ n: number; runs: number }>`select n, runs from topology_runs`.execute(db)).rows;
    await expect.poll(async () => (await runsOf()).length, { timeout: 60_000, interval: 500 }).toBeGreaterThanOrEqual(acceptedTasks.length);
    const runs = await runsOf();
    expect(runs.map((r) => r.n).sort((a, b) => a - b)).toEqual([...acceptedTasks].sort((a, b) => a - b));
    expect(runs.filter((r) => r.runs !== 1)).toEqual([]);
    expect(acceptedTasks.length).toBeGreaterThan(100);

    // Every scheduled tick fired once, whichever scheduler led and through both schedulers' restarts.
    const ticks = (await sql<{ id: string; runs: number }>`select id, runs from topology_ticks`.execute(db)).rows;
    expect(ticks.filter((t) => t.runs !== 1)).toEqual([]);
    expect(ticks.length).toBeGreaterThanOrEqual(LOAD_MS / 1_000 / 2);
  });

  async function createKey(name: string, scopes: string[]): Promise<string> {
    const res = await fetch(`${lb.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, scopes }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { key: string }).key;
  }
});

async function waitReady(node: Node): Promise<void> {
  const ready = async (): Promise<boolean> => {
    if (node.process.child.exitCode !== null) throw new Error(`${node.name} exited`);
    return fetch(`http://127.0.0.1:${node.port}/readyz`).then(
      (res) => res.status === 200,
      () => false, // not listening yet
    );
  };
  await eventually(ready, 150_000, `${node.name} to be ready`).catch((error: unknown) => {
    throw new Error(`${String(error)}: ${node.process.output().slice(-2_000)}`);
  });
}
