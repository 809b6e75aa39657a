// The load generator, in its own process (as Fastify's own benchmarks run it), so the server's process
// measures only the server: node bench/http/load-client.ts '<json options>' → one JSON line on stdout.
import autocannon from 'autocannon';

interface ClientOptions {
  url: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
  paths: string[];
}

const options = JSON.parse(process.argv[2] ?? '{}') as ClientOptions;
const result = await autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.duration,
  headers: options.headers,
  requests: options.paths.map((path) => ({ method: 'GET', path })),
});
process.stdout.write(`${JSON.stringify({
  rps: result.requests.average,
  total: result.requests.total,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  meanMs: result.latency.mean,
  bytes: result.throughput.total,
  non2xx: result.non2xx,
})}\n`);
