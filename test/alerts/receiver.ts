import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ReceivedCall {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on loopback recording what it receives; `handle` may answer differently per path. */
export async function startReceiver(
  handle?: (req: IncomingMessage, res: ServerResponse, body: string) => boolean,
): Promise<{ url: string; port: number; calls: ReceivedCall[]; server: Server; close(): Promise<void> }> {
  const calls: ReceivedCall[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (handle?.(req, res, body)) return;
      calls.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
