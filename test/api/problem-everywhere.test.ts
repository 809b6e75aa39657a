import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestResponse, type TestService } from '../support/runtime.ts';

/** Sends raw bytes and returns the whole response text (the server closes the connection after a parser error). */
function rawRequest(baseUrl: string, text: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(text));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    // The server destroys the socket after answering, which may surface here as a reset: the answer is what counts.
    socket.on('close', () => (received === '' ? reject(new Error('connection closed without an answer')) : resolve(received)));
    socket.on('error', () => undefined);
  });
}

function parseRaw(response: string): { status: number; contentType: string | undefined; body: Record<string, unknown> } {
  const [head = '', body = ''] = response.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const contentType = /^content-type:\s*(.+)$/im.exec(head)?.[1];
  return { status, contentType, body: JSON.parse(body) as Record<string, unknown> };
}

/** Every error the service answers is RFC 9457 problem+json with one `type` scheme, whoever produced it. */
describe('problem+json everywhere (sqlite)', () => {
  let svc: TestService;
  let readKey: string;
  beforeAll(async () => {
    svc = await startTestService('sqlite', { AI_STACK_RATE_LIMIT_PER_MINUTE: '100' });
    readKey = (await svc.runtime.keys.create({ name: 'reader', scopes: ['read'] })).key;
  });
  afterAll(async () => {
    await svc.cleanup();
  });

  async function expectProblem(res: TestResponse, status: number) {
    expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status, type: expect.stringContaining('application/problem+json') });
    const body = await res.json();
    expect(body).toMatchObject({ status, type: expect.stringMatching(/^\/problems\/[a-z_]+$/), title: expect.any(String), detail: expect.any(String) });
    return body;
  }

  it('answers 431 for an oversized header or URL as problem+json', async () => {
    const header = await rawRequest(svc.baseUrl, `GET /api/v1/customers HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const parsed = parseRaw(header);
    expect(parsed).toMatchObject({
      status: 431,
      contentType: expect.stringContaining('application/problem+json'),
      body: { status: 431, type: '/problems/headers_too_large' },
    });
    const url = parseRaw(await rawRequest(svc.baseUrl, `GET /api/v1/customers?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`));
    expect(url).toMatchObject({ status: 431, contentType: expect.stringContaining('application/problem+json') });
  });

  it("answers Node's own 400 for a malformed request as problem+json", async () => {
    const parsed = parseRaw(await rawRequest(svc.baseUrl, 'GET /api/v1/customers HTTP/1.1\r\nHost: x\r\nNot a header line\r\n\r\n'));
    expect(parsed).toMatchObject({
      status: 400,
      contentType: expect.stringContaining('application/problem+json'),
      body: { status: 400, type: '/problems/malformed_request' },
    });
  });

  it('answers a URL Fastify cannot decode or route as problem+json', async () => {
    await expectProblem(await svc.call('/api/v1/customers/%E0%A4%A'), 400);
    expect((await expectProblem(await svc.call(`/api/v1/customers/${'1'.repeat(300)}`), 414)).code).toBe('uri_too_long');
  });

  it("wraps Bull Board's own error bodies in problem+json, keeping their fields", async () => {
    const body = await expectProblem(await svc.call('/admin/queues/api/queues/no-such-queue/metrics'), 404);
    expect(body.error).toEqual({ key: 'ERRORS.QUEUE_NOT_FOUND' });
  });

  it('answers 415 for a text/plain body', async () => {
    const res = await svc.call('/api/v1/customers', { method: 'POST', body: 'code=X', headers: { 'content-type': 'text/plain' } });
    expect((await expectProblem(res, 415)).code).toBe('unsupported_media_type');
  });

  it('uses the same problem type scheme inside $batch sub-responses', async () => {
    const res = await svc.call('/api/v1/$batch', {
      method: 'POST',
      json: {
        requests: [
          { id: 'missing', method: 'GET', url: '/customers/999999' },
          { id: 'skipped', method: 'GET', url: '/customers', dependsOn: ['missing'] },
        ],
      },
    });
    const { responses } = await res.json();
    const byId = Object.fromEntries(responses.map((r: { id: string }) => [r.id, r]));
    expect(byId.missing.body.type).toBe('/problems/not_found');
    expect(byId.skipped).toMatchObject({ status: 424, body: { type: '/problems/failed_dependency', title: 'Failed Dependency' } });
  });

  it('lets a read-only key use $batch for reads, checking each sub-request against its scope', async () => {
    const res = await svc.call('/api/v1/$batch', {
      method: 'POST',
      key: readKey,
      json: {
        requests: [
          { id: 'list', method: 'GET', url: '/customers' },
          { id: 'write', method: 'POST', url: '/customers', body: { code: 'RO-1', name: 'n', country: 'DE' } },
        ],
      },
    });
    expect(res.status).toBe(200);
    const { responses } = await res.json();
    const byId = Object.fromEntries(responses.map((r: { id: string }) => [r.id, r]));
    expect(byId.list.status).toBe(200);
    expect(byId.write).toMatchObject({ status: 403, body: { type: '/problems/forbidden' } });
  });

  it('replays an Idempotency-Key for the same JSON with its keys in another order', async () => {
    const headers = { 'idempotency-key': 'reorder-1', 'content-type': 'application/json' };
    const first = await svc.call('/api/v1/customers', { method: 'POST', body: '{"code":"ORD-1","name":"n","country":"DE"}', headers });
    expect(first.status).toBe(201);
    const second = await svc.call('/api/v1/customers', { method: 'POST', body: '{ "country": "DE", "name": "n", "code": "ORD-1" }', headers });
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const changed = await svc.call('/api/v1/customers', { method: 'POST', body: '{"code":"ORD-1","name":"other","country":"DE"}', headers });
    expect((await expectProblem(changed, 422)).code).toBe('idempotency_key_reused');
  });

  it('reports the RateLimit remaining after its sub-requests on a $batch response', async () => {
    const remaining = (res: TestResponse) => Number(/;r=(\d+)/.exec(res.headers.get('ratelimit') ?? '')?.[1]);
    const before = remaining(await svc.call('/api/v1/customers'));
    const requests = Array.from({ length: 5 }, (_, i) => ({ id: String(i), method: 'GET', url: '/customers' }));
    const res = await svc.call('/api/v1/$batch', { method: 'POST', json: { requests } });
    const { responses } = await res.json();
    const lowestInside = Math.min(...responses.map((r: { headers: Record<string, string> }) => Number(/;r=(\d+)/.exec(r.headers['ratelimit'] ?? '')?.[1])));
    // The sub-requests drew on the same quota after the batch's own check; the header shows what they left.
    expect(lowestInside).toBeLessThan(before);
    expect(remaining(res)).toBe(lowestInside);
  });
});
