import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface SeenRequest {
  url: string;
  headers: IncomingMessage['headers'];
}

/**
 * A real HTTP server on loopback playing an external system: it serves `records` paged (Link header, or a
 * cursor), as JSON or CSV, with an ETag; tests change `records` between runs and pick a misbehaviour.
 */
export interface SourceServer {
  url: string;
  port: number;
  /** What the source holds; tests edit it between runs. */
  records: Record<string, unknown>[];
  pageSize: number;
  /** Per path, the number of times it still answers 500 before answering normally (Infinity: always). */
  failures: Map<string, number>;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startSourceServer(): Promise<SourceServer> {
  const state: Omit<SourceServer, 'url' | 'port' | 'close'> = { records: [], pageSize: 2, failures: new Map(), requests: [] };
  const server: Server = createServer((req, res) => {
    state.requests.push({ url: req.url ?? '', headers: req.headers });
    try {
      route(state, req, res, port);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function route(state: Omit<SourceServer, 'url' | 'port' | 'close'>, req: IncomingMessage, res: ServerResponse, port: number): void {
  const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
  const page = Number(url.searchParams.get('page') ?? '1');
  const failing = state.failures.get(`${url.pathname}?page=${page}`) ?? state.failures.get(url.pathname) ?? 0;
  if (failing > 0) {
    state.failures.set(state.failures.has(url.pathname) ? url.pathname : `${url.pathname}?page=${page}`, failing - 1);
    // Echoes the credential, as careless servers do: it must not reach the run's error or the log.
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`upstream broke; you sent ${req.headers.authorization ?? 'nothing'}`);
    return;
  }
  const since = url.searchParams.get('updated_since');
  const records = since ? state.records.filter((r) => String(r.updated_at) > since) : state.records;
  const pages = Math.max(1, Math.ceil(records.length / state.pageSize));
  const slice = (n: number) => records.slice((n - 1) * state.pageSize, n * state.pageSize);
  const etag = `"${createHash('sha256').update(JSON.stringify(records)).digest('base64url')}"`;
  switch (url.pathname) {
    case '/paged.json': {
      const next = new URL(url);
      next.searchParams.set('page', String(page + 1));
      const link = page < pages ? { link: `<${next.pathname}${next.search}>; rel="next"` } : {};
      return void res.writeHead(200, { 'content-type': 'application/json', ...link }).end(JSON.stringify({ data: slice(page) }));
    }
    case '/cursor.json': {
      const cursor = Number(url.searchParams.get('cursor') ?? '1');
      const next = cursor < pages ? String(cursor + 1) : null;
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: slice(cursor), next_cursor: next }));
    }
    case '/paged.csv': {
      const link = page < pages ? { link: `<http://127.0.0.1:${port}/paged.csv?page=${page + 1}>; rel="next"` } : {};
      const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
      const rows = slice(page).map((r) => columns.map((c) => csvCell(r[c])).join(','));
      return void res.writeHead(200, { 'content-type': 'text/csv', ...link }).end(`\uFEFF${[columns.join(','), ...rows].join('\r\n')}\r\n`);
    }
    case '/whole.json':
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
      return void res.writeHead(200, { 'content-type': 'application/json', etag }).end(JSON.stringify(records));
    case '/loop.json':
      return void res.writeHead(200, { 'content-type': 'application/json', link: '</loop.json?page=1>; rel="next"' }).end(JSON.stringify(slice(1)));
    case '/endless.json':
      return void res.writeHead(200, { 'content-type': 'application/json', link: `</endless.json?page=${page + 1}>; rel="next"` }).end('[]');
    case '/elsewhere.json':
      return void res.writeHead(200, { 'content-type': 'application/json', link: '<http://example.com/steal>; rel="next"' }).end('[]');
    case '/drip.json':
      // Headers and the first bytes at once, then nothing: only a whole-request time limit ends this.
      return void res.writeHead(200, { 'content-type': 'application/json' }).write('[{"code":');
    case '/huge.json':
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(`[${'"x",'.repeat(512 * 1024)}"x"]`);
    case '/to-metadata':
      return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/' }).end();
    case '/to-elsewhere':
      return void res.writeHead(302, { location: `http://localhost:${port}/paged.json` }).end();
    default:
      return void res.writeHead(404).end('no such path');
  }
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
