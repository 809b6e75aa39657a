import zlib from 'node:zlib';
import Fastify, { type RouteOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { apiToolkitPlugin } from '../../../src/http/toolkit/index.ts';
import { addOnSendHook, FASTIFY_HEAD_ON_SEND } from '../../../src/http/toolkit/route-hooks.ts';

/**
 * Pins the one Fastify internal the toolkit relies on: the HEAD route Fastify exposes for a GET route ends
 * its onSend chain with a hook named `headRouteOnSendHandler`, which drops the body. The toolkit inserts
 * its own onSend hooks before it; if a Fastify upgrade renames or moves it, these tests fail instead of
 * HEAD silently losing its ETag, Content-Encoding and Content-Length.
 */
describe('route-level hooks and Fastify’s automatic HEAD route', () => {
  it('Fastify’s exposed HEAD route still ends its onSend chain with the named body-dropping hook', async () => {
    const app = Fastify({ logger: false });
    const seen: RouteOptions[] = [];
    app.addHook('onRoute', (route) => {
      seen.push({ ...route });
    });
    app.get('/x', { onSend: async (_request, _reply, payload) => payload }, async () => 'x');
    await app.ready();
    const head = seen.find((route) => route.method === 'HEAD');
    const onSend = Array.isArray(head?.onSend) ? head.onSend : [head?.onSend];
    expect(onSend).toHaveLength(2);
    expect(onSend.at(-1)?.name).toBe(FASTIFY_HEAD_ON_SEND);
    await app.close();
  });

  it('inserts an onSend hook before the HEAD hook and after every other', () => {
    const user = async (_request: unknown, _reply: unknown, payload: unknown) => payload;
    const ours = async (_request: unknown, _reply: unknown, payload: unknown) => payload;
    function headRouteOnSendHandler(_request: unknown, _reply: unknown, _payload: unknown, done: (error: null, payload: null) => void) {
      done(null, null);
    }
    const head = { method: 'HEAD', url: '/', handler: () => undefined, onSend: [user, headRouteOnSendHandler] } as RouteOptions;
    addOnSendHook(head, ours);
    expect(head.onSend).toEqual([user, ours, headRouteOnSendHandler]);
    const get = { method: 'GET', url: '/', handler: () => undefined, onSend: user } as RouteOptions;
    addOnSendHook(get, ours);
    expect(get.onSend).toEqual([user, ours]);
  });

  it('answers HEAD with the ETag, Content-Encoding and Content-Length of GET', async () => {
    const app = Fastify({ logger: false });
    await app.register(async (api) => {
      await api.register(apiToolkitPlugin, {});
      api.get('/page', async () => ({ text: 'lorem ipsum '.repeat(500) }));
    });
    await app.ready();
    const headers = { 'accept-encoding': 'gzip' };
    const [get, head] = await Promise.all([app.inject({ url: '/page', headers }), app.inject({ method: 'HEAD', url: '/page', headers })]);
    expect(get.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(get.rawPayload).toString()).toContain('lorem ipsum');
    expect(head.body).toBe('');
    for (const name of ['etag', 'content-encoding', 'content-length', 'content-type']) expect([name, head.headers[name]]).toEqual([name, get.headers[name]]);
    await app.close();
  });
});
