// The load generator, in its own process (as Fastify's own benchmarks run it), so the server's process
// measures only the server: node bench/http/load-client.ts '<json options>' → one JSON line on stdout.
import autocannon from 'autocannon';
import { percentile } from '../lib/stats.ts';

interface ClientOptions {
  url: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
  paths: string[];
}

const options = JSON.parse(process.argv[2] ?? '{}') as ClientOptions;
// Every response time is kept, so p95 is exact (autocannon's summary has p90 and p97.5, no p95).
const times: number[] = [];
let finish: (error: Error | null, result: autocannon.Result) => void = () => undefined;
const done = new Promise<autocannon.Result>((resolve, reject) => (finish = (error, result) => (error ? reject(error) : resolve(result))));
const instance = autocannon(
  {
    url: options.url,
    connections: options.connections,
    duration: options.duration,
    headers: options.headers,
    requests: options.paths.map((path) => ({ method: 'GET', path })),
  },
  (error, result) => finish(error, result),
);
instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => times.push(responseTime));
const result = await done;
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    p50Ms: result.latency.p50,
    p95Ms: percentile(times, 0.95),
    p99Ms: result.latency.p99,
    meanMs: result.latency.mean,
    bytes: result.throughput.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  })}\n`,
);
