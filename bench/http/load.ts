import { spawn } from 'node:child_process';
import type { FastifyInstance } from 'fastify';

export interface LoadFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  bytesPerResponse: number;
  non2xx: number;
  /** CPU time of the server's process per response (the load generator runs in another process). */
  cpuUsPerRequest: number;
}

export interface LoadOptions {
  duration: number;
  connections: number;
  headers?: Record<string, string>;
  /** Paths cycled through by the client (e.g. several pages of a list). */
  paths: readonly string[];
}

interface ClientResult {
  rps: number;
  total: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  bytes: number;
  non2xx: number;
}

function runClient(url: string, options: LoadOptions): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [new URL('./load-client.ts', import.meta.url).pathname, JSON.stringify({ url, ...options, headers: options.headers ?? {} })],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as ClientResult) : reject(new Error(`load client exited ${code}`))));
  });
}

/** Drives a server listening at `baseUrl` (in this process) from a separate load-generator process. */
export async function drive(baseUrl: string, options: LoadOptions): Promise<LoadFigures> {
  const cpuBefore = process.cpuUsage();
  const result = await runClient(baseUrl, options);
  const cpu = process.cpuUsage(cpuBefore);
  return {
    rps: Math.round(result.rps),
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    meanMs: Math.round(result.meanMs * 100) / 100,
    bytesPerResponse: result.total === 0 ? 0 : Math.round(result.bytes / result.total),
    non2xx: result.non2xx,
    cpuUsPerRequest: result.total === 0 ? 0 : Math.round(((cpu.user + cpu.system) / result.total) * 10) / 10,
  };
}

/** Starts the app on a loopback port, drives it from another process, stops it. */
export async function measure(app: FastifyInstance, options: LoadOptions): Promise<LoadFigures> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  try {
    return await drive(`http://127.0.0.1:${address.port}`, options);
  } finally {
    await app.close();
  }
}
