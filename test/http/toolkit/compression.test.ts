import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { compressionPlugin, negotiateEncoding, parseAcceptEncoding } from '../../../src/http/toolkit/index.ts';
import { testApp } from './support/app.ts';

const big = { rows: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `customer ${i}`, note: 'lorem ipsum dolor sit amet' })) };
const bigJson = JSON.stringify(big);

function decode(encoding: string | undefined, body: Buffer): string {
  if (encoding === 'br') return zlib.brotliDecompressSync(body).toString();
  if (encoding === 'gzip') return zlib.gunzipSync(body).toString();
  if (encoding === 'zstd') return zlib.zstdDecompressSync(body).toString();
  return body.toString();
}

describe('negotiateEncoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['gzip, br', 'br'],
    ['gzip, br, zstd', 'zstd'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
    ['br;q=0, *', 'zstd'],
    ['*', 'zstd'],
    ['x-gzip', 'gzip'],
    ['GZIP;Q=0.8', 'gzip'],
    ['foo', 'identity'],
    ['foo, bar;q=0.9', 'identity'],
    ['gzip;q=0.1, identity', 'identity'],
    ['gzip;q=2', 'identity'], // invalid q: member ignored
    ['gzip;q=abc, br', 'br'],
  ])('%j → %s', (header, coding) => {
    expect(negotiateEncoding(header).coding).toBe(coding);
  });

  it.each(['identity;q=0', '*;q=0', 'foo, identity;q=0', 'gzip;q=0, br;q=0, zstd;q=0, identity;q=0'])('%j leaves nothing acceptable', (header) => {
    expect(negotiateEncoding(header).coding).toBeNull();
  });

  it('names an equally weighted non-brotli alternative', () => {
    expect(negotiateEncoding('br, gzip').fastAlternative).toBe('gzip');
    expect(negotiateEncoding('br, gzip;q=0.4').fastAlternative).toBeNull();
    expect(negotiateEncoding('*').fastAlternative).toBe('zstd');
  });

  it('honours server preference and a custom preference list', () => {
    expect(negotiateEncoding('gzip, br', ['gzip', 'br']).coding).toBe('gzip');
    expect(negotiateEncoding('identity;q=0, gzip').identityAllowed).toBe(false);
  });

  it('ignores absurdly long headers instead of parsing them', () => {
    expect(parseAcceptEncoding(`${'a,'.repeat(2000)}gzip`).size).toBe(0);
  });
});

describe('compressionPlugin over HTTP', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = testApp();
    await app.register(compressionPlugin, { threshold: 1024 });
    app.get('/big', async () => big);
    app.get('/huge', async () => Array.from({ length: 3000 }, (_, i) => ({ i, text: `row ${i}` })));
    app.get('/small', async () => ({ ok: true }));
    app.get('/png', async (_request, reply) => reply.type('image/png').send(Buffer.alloc(4096, 7)));
    app.get('/stream', async (_request, reply) => reply.type('text/plain').send(Readable.from(['chunk-1 '.repeat(500), 'chunk-2 '.repeat(500)])));
    app.get('/raw', { config: { compress: false } }, async () => big);
    app.get('/no-transform', async (_request, reply) => reply.header('cache-control', 'no-transform').send(big));
    await app.ready();
  });
  afterAll(() => app.close());

  it.each(['br', 'gzip', 'zstd'])('%s body decompresses to the original', async (coding) => {
    const response = await app.inject({ url: '/big', headers: { 'accept-encoding': coding } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBe(coding);
    expect(response.headers['vary']).toBe('Accept-Encoding');
    expect(response.rawPayload.length).toBeLessThan(bigJson.length / 3);
    expect(Number(response.headers['content-length'])).toBe(response.rawPayload.length);
    expect(decode(coding, response.rawPayload)).toBe(bigJson);
  });

  it('lets brotli yield to an equally weighted fast coding on mid-size bodies only', async () => {
    const mid = await app.inject({ url: '/big', headers: { 'accept-encoding': 'br, gzip' } });
    expect(mid.headers['content-encoding']).toBe('gzip');
    const huge = await app.inject({ url: '/huge', headers: { 'accept-encoding': 'br, gzip' } });
    expect(huge.headers['content-encoding']).toBe('br');
    expect(JSON.parse(decode('br', huge.rawPayload))).toHaveLength(3000);
    expect((await app.inject({ url: '/big', headers: { 'accept-encoding': 'br, gzip;q=0.5' } })).headers['content-encoding']).toBe('br');
  });

  it('picks by q-value', async () => {
    const response = await app.inject({ url: '/big', headers: { 'accept-encoding': 'br;q=0.2, gzip;q=0.9' } });
    expect(response.headers['content-encoding']).toBe('gzip');
  });

  it('leaves small bodies alone but still says Vary', async () => {
    const response = await app.inject({ url: '/small', headers: { 'accept-encoding': 'br' } });
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(response.headers['vary']).toBe('Accept-Encoding');
    expect(response.json()).toEqual({ ok: true });
  });

  it('compresses even small bodies when identity is forbidden', async () => {
    const response = await app.inject({ url: '/small', headers: { 'accept-encoding': 'gzip, identity;q=0' } });
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(decode('gzip', response.rawPayload)).toBe('{"ok":true}');
  });

  it('skips already-compressed media types', async () => {
    const response = await app.inject({ url: '/png', headers: { 'accept-encoding': 'br, gzip' } });
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(response.rawPayload.length).toBe(4096);
  });

  it('keeps streams streaming', async () => {
    const response = await app.inject({ url: '/stream', headers: { 'accept-encoding': 'gzip' } });
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.headers['content-length']).toBeUndefined();
    expect(response.headers['transfer-encoding']).toBe('chunked');
    expect(decode('gzip', response.rawPayload)).toBe(`${'chunk-1 '.repeat(500)}${'chunk-2 '.repeat(500)}`);
  });

  it('respects route opt-out and Cache-Control: no-transform', async () => {
    for (const url of ['/raw', '/no-transform']) {
      const response = await app.inject({ url, headers: { 'accept-encoding': 'gzip' } });
      expect(response.headers['content-encoding']).toBeUndefined();
      expect(response.body).toBe(bigJson);
    }
  });

  it('falls back to identity for an unknown coding', async () => {
    const response = await app.inject({ url: '/big', headers: { 'accept-encoding': 'compress, snappy' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(response.body).toBe(bigJson);
  });

  it.each(['identity;q=0', '*;q=0', 'snappy, identity;q=0'])('answers 406 problem+json when %j rules out everything', async (header) => {
    const response = await app.inject({ url: '/big', headers: { 'accept-encoding': header } });
    expect(response.statusCode).toBe(406);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 406, code: 'not_acceptable' });
  });

  it('survives a hostile Accept-Encoding', async () => {
    const response = await app.inject({ url: '/big', headers: { 'accept-encoding': `${';q=;;,'.repeat(300)}gzip;q=0.5;q=x` } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(bigJson);
  });
});
