// What a first-time API user sees when they get something wrong: every invalid field at once,
// problem+json even for requests the HTTP parser refuses, and messages that read as sentences.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nounOf } from '../../src/db/errors.ts';
import { startTestService, type TestService } from '../support/runtime.ts';

function rawRequest(baseUrl: string, head: Buffer): Promise<string> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(head));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('first-hour errors', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('sqlite');
  });
  afterAll(async () => svc.cleanup());

  it('reports every invalid field of a body, not only the first', async () => {
    const res = await svc.call('/api/v1/customers', { method: 'POST', json: { code: 1, country: 'Germany', surprise: true } });
    expect(res.status).toBe(400);
    const fields = (await res.json()).errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body/code', 'body/country', 'body/name', 'body/surprise']));
  });

  it('caps the listed issues for a hostile body', async () => {
    const json = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, i]));
    const res = await svc.call('/api/v1/customers', { method: 'POST', json });
    expect(res.status).toBe(400);
    expect((await res.json()).errors.length).toBeLessThanOrEqual(50);
  });

  it('answers raw UTF-8 in the query string with problem+json 400', async () => {
    const head = Buffer.concat([
      Buffer.from('GET /api/v1/customers?q='),
      Buffer.from('Müller€', 'utf8'),
      Buffer.from(` HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${svc.adminKey}\r\nConnection: close\r\n\r\n`),
    ]);
    const response = await rawRequest(svc.baseUrl, head);
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toMatch(/content-type: application\/problem\+json/i);
    const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
    expect(body).toMatchObject({ status: 400, code: 'malformed_request' });
    expect(body.detail).toMatch(/percent-encoded/);
    // The service still answers afterwards.
    expect((await svc.call('/healthz', { key: null })).status).toBe(200);
  });

  it('says "A customer with this code already exists"', async () => {
    const json = { code: 'ACME-1', name: 'Acme', country: 'DE' };
    expect((await svc.call('/api/v1/customers', { method: 'POST', json })).status).toBe(201);
    const dup = await svc.call('/api/v1/customers', { method: 'POST', json });
    expect(dup.status).toBe(409);
    expect((await dup.json()).detail).toBe('A customer with this code already exists');
  });

  it('names tables as nouns', () => {
    expect(nounOf('customers')).toBe('customer');
    expect(nounOf('ledger_entries')).toBe('ledger entry');
    expect(nounOf('api_keys')).toBe('API key');
    expect(nounOf('addresses')).toBe('address');
    expect(nounOf(undefined)).toBe('record');
  });
});
