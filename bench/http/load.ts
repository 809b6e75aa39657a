import autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';

export interface LoadFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  bytesPerResponse: number;
  non2xx: number;
  /** CPU time of this process (server + in-process load generator) per response: steadier than req/s on a shared box. */
  cpuUsPerRequest: number;
}

export interface LoadOptions {
  /** Seconds; kept short because the machine is shared. */
  duration: number;
  connections: number;
  headers?: Record<string, string>;
  /** Paths cycled through by the client (e.g. several pages of a list). */
  paths: readonly string[];
}

/** Starts the app on a loopback port, drives it with autocannon in-process, stops it. */
export async function measure(app: FastifyInstance, options: LoadOptions): Promise<LoadFigures> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  try {
    const cpuBefore = process.cpuUsage();
    const result = await autocannon({
      url: `http://127.0.0.1:${address.port}`,
      connections: options.connections,
      duration: options.duration,
      headers: options.headers ?? {},
      requests: options.paths.map((path) => ({ method: 'GET', path })),
    });
    const cpu = process.cpuUsage(cpuBefore);
    return {
      rps: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      meanMs: Math.round(result.latency.mean * 100) / 100,
      bytesPerResponse: result.requests.total === 0 ? 0 : Math.round(result.throughput.total / result.requests.total),
      non2xx: result.non2xx,
      cpuUsPerRequest: result.requests.total === 0 ? 0 : Math.round((cpu.user + cpu.system) / result.requests.total),
    };
  } finally {
    await app.close();
  }
}
