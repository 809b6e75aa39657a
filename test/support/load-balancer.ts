import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A small loopback load balancer, as nginx or HAProxy would sit in front of API nodes: round robin over the
 * backends whose /readyz answers 200 (polled every 200 ms), and a request that a backend refused (connection
 * error, or 503 while it shuts down) goes to the next one, so a rolling restart fails no request.
 */
export class LoadBalancer {
  readonly #backends: Array<{ port: number; ready: boolean }>;
  readonly #server: Server;
  #next = 0;
  #poller: NodeJS.Timeout | undefined;
  retried = 0;

  private constructor(ports: number[]) {
    this.#backends = ports.map((port) => ({ port, ready: false }));
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => res.destroy());
    });
  }

  static async start(ports: number[]): Promise<LoadBalancer & { url: string }> {
    const lb = new LoadBalancer(ports);
    await new Promise<void>((resolve) => lb.#server.listen(0, '127.0.0.1', resolve));
    lb.#poller = setInterval(() => void lb.#probe(), 200);
    await lb.#probe();
    const address = lb.#server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return Object.assign(lb, { url: `http://127.0.0.1:${port}` });
  }

  async close(): Promise<void> {
    clearInterval(this.#poller);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #probe(): Promise<void> {
    await Promise.all(
      this.#backends.map(async (b) => {
        try {
          b.ready = (await fetch(`http://127.0.0.1:${b.port}/readyz`, { signal: AbortSignal.timeout(1_000) })).status === 200;
        } catch {
          b.ready = false;
        }
      }),
    );
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    // Every backend twice at most, then give up with the last answer (a 502 if none answered).
    for (let attempt = 0; attempt < this.#backends.length * 2; attempt++) {
      const ready = this.#backends.filter((b) => b.ready);
      const backend = (ready.length > 0 ? ready : this.#backends)[this.#next++ % Math.max(ready.length, 1)] ?? this.#backends[0];
      if (backend === undefined) break;
      const answer = await forward(backend.port, req, body).catch(() => undefined);
      if (answer === undefined || answer.status === 503) {
        backend.ready = false;
        this.retried++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
      return;
    }
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('no backend answered');
  }
}

async function forward(
  port: number,
  req: IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: `127.0.0.1:${port}`, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const out = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, timeout: 15_000 }, (upstream) => {
      const chunks: Buffer[] = [];
      upstream.on('data', (c: Buffer) => chunks.push(c));
      upstream.on('end', () => {
        const h: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && k !== 'connection' && k !== 'transfer-encoding') h[k] = v;
        resolve({ status: upstream.statusCode ?? 502, headers: h, body: Buffer.concat(chunks) });
      });
      upstream.on('error', reject);
    });
    out.on('timeout', () => out.destroy(new Error('upstream timeout')));
    out.on('error', reject);
    out.end(body);
  });
}
