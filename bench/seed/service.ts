/**
 * The seed benchmark's moving parts: a fresh PostgreSQL schema and Redis prefix, AI Stack server processes
 * (bench/seed/server.ts, one per configuration), the load generator in its own process, and the server's
 * own DB-time histograms read from /metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import pg from 'pg';

export const POSTGRES_URL = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://root@127.0.0.1:5432/test';
export const REDIS_URL = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const ROOT = new URL('../../', import.meta.url).pathname;

/** One fresh schema and key prefix for the whole run; `dispose()` drops both. */
export interface Sandbox {
  databaseUrl: string;
  env(extra?: Record<string, string>): Record<string, string>;
  dispose(): Promise<void>;
}

export async function openSandbox(): Promise<Sandbox> {
  const id = randomBytes(5).toString('hex');
  const schema = `bench_seed_${id}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const databaseUrl = `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const adminKey = `bench-seed-admin-${randomBytes(16).toString('hex')}`;
  const cursorSecret = randomBytes(24).toString('hex');
  let servers = 0;
  return {
    databaseUrl,
    // Each server gets its own Redis prefix (its own response cache, queues and workers); the database is shared.
    env: (extra = {}) => ({
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '/tmp',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      AI_STACK_REDIS_PREFIX: `bench-seed-${id}-${servers++}:`,
      AI_STACK_ADMIN_KEY: adminKey,
      AI_STACK_CURSOR_SECRET: cursorSecret,
      // The benchmark measures serving, not refusing.
      AI_STACK_RATE_LIMIT_PER_MINUTE: '10000000',
      AI_STACK_DATA_DIR: `/tmp/bench-seed-${id}`,
      LOG_LEVEL: 'silent',
      PORT: '0',
      HOST: '127.0.0.1',
      ...extra,
    }),
    dispose: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
      const redis = new Redis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `bench-seed-${id}-*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

export function adminKeyOf(env: Record<string, string>): string {
  return env['AI_STACK_ADMIN_KEY'] as string;
}

/** `node src/cli/main.ts demo-data --orders N`: the real CLI loads the data before any server starts. */
export function loadDemo(env: Record<string, string>, orders: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${ROOT}src/cli/main.ts`, 'demo-data', '--orders', String(orders)], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`demo-data exited ${code}`))));
  });
}

export interface Server {
  name: string;
  url: string;
  stop(): Promise<void>;
}

/** Starts bench/seed/server.ts with this environment and these RuntimeOptions.resources; resolves once it listens. */
export function startServer(name: string, env: Record<string, string>, resources: Record<string, false> = {}): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, [new URL('./server.ts', import.meta.url).pathname, JSON.stringify(resources)], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    child.once('exit', (code) => reject(new Error(`server ${name} exited ${code} before listening`)));
    lines.once('line', (line) => {
      const { url } = JSON.parse(line) as { url: string };
      resolve({
        name,
        url,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

export interface LoadOptions {
  duration: number;
  connections: number;
  headers: Record<string, string>;
  paths: readonly string[];
}

export interface ClientResult {
  rps: number;
  total: number;
  p50Ms: number;
  p95Ms: number;
  bytes: number;
  non2xx: number;
  errors: number;
}

/** autocannon in its own process (bench/http/load-client.ts), never in the server's nor in this one. */
export function runLoad(url: string, options: LoadOptions): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [new URL('../http/load-client.ts', import.meta.url).pathname, JSON.stringify({ url, ...options })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load client exited ${code}`));
      const result = JSON.parse(out) as ClientResult;
      // Completed responses over the run's length, not autocannon's per-second average (which drops partial seconds).
      resolve({ ...result, rps: result.total / options.duration });
    });
  });
}

/** Seconds the server spent in database statements plus waiting for a pooled connection, from its /metrics. */
export async function dbSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (/^ai_stack_db_(query_duration|pool_acquire_wait)_seconds_sum[{ ]/.test(line)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
