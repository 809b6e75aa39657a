// The load generator, in its own process (never inside the server's): node bench/seed/load-client.ts '<json>'
// → one JSON line on stdout. Every response time is kept, so p95 is exact (autocannon's summary has no p95).
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
const times: number[] = [];
let finish: (error: Error | null, result: autocannon.Result) => void = () => undefined;
const done = new Promise<autocannon.Result>((resolve, reject) => (finish = (error, result) => (error ? reject(error) : resolve(result))));
const instance = autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.duration,
  headers: options.headers,
  requests: options.paths.map((path) => ({ method: 'GET', path })),
}, (error, result) => finish(error, result));
instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => times.push(responseTime));
const result = await done;
process.stdout.write(`${JSON.stringify({
  rps: result.requests.total / options.duration,
  total: result.requests.total,
  p50Ms: percentile(times, 0.5),
  p95Ms: percentile(times, 0.95),
  bytes: result.throughput.total,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
})}\n`);
