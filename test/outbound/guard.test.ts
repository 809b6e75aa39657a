import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBlockedAddress, OutboundClient, OutboundRefusedError } from '../../src/outbound/index.ts';
import { startReceiver } from '../alerts/receiver.ts';

describe('outbound calls to user-supplied URLs', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver((req, res) => {
      if (req.url === '/to-metadata') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      else if (req.url === '/to-localhost') res.writeHead(301, { location: `http://localhost:${receiver.port}/ok` }).end();
      else if (req.url === '/huge') res.end(Buffer.alloc(1024 * 1024, 'x'));
      else if (req.url === '/drip') res.writeHead(200).write('{"slow":');
      else if (req.url === '/to-other-origin') res.writeHead(302, { location: `http://other.test:${receiver.port}/landed` }).end();
      else return false;
      return true;
    });
  });
  afterAll(async () => receiver.close());

  it('classifies loopback, private, link-local, metadata and mapped addresses as blocked, public ones not', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '0:0:0:0:0:ffff:7f00:1',
    ]) {
      expect(isBlockedAddress(address), address).toBe(true);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:5db8:d822']) expect(isBlockedAddress(address), address).toBe(false);
  });

  it('refuses loopback, private and metadata targets by default, named or literal, with a clear reason', async () => {
    const client = new OutboundClient();
    try {
      await expect(client.fetch(`${receiver.url}/x`)).rejects.toThrow(
        /127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback, private, link-local or metadata address/,
      );
      await expect(client.fetch(`http://localhost:${receiver.port}/x`)).rejects.toThrow(/localhost resolves to (127\.0\.0\.1|::1)/);
      await expect(client.fetch('http://169.254.169.254/latest/meta-data/')).rejects.toBeInstanceOf(OutboundRefusedError);
      await expect(client.fetch(`http://[::1]:${receiver.port}/`)).rejects.toThrow(/resolves to ::1/);
      await expect(client.fetch('http://10.0.0.1/')).rejects.toThrow(/10\.0\.0\.1/);
      await expect(client.fetch('file:///etc/passwd')).rejects.toThrow(/file: URLs are not fetched/);
      await expect(client.fetch('http://user:pw@example.com/')).rejects.toThrow(/credentials in the URL/);
      expect(receiver.calls).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('reaches an allow-listed address, but not a redirect from it to the metadata service', async () => {
    const client = new OutboundClient({ allow: ['127.0.0.1'] });
    try {
      expect((await client.fetch(`${receiver.url}/ok`, { method: 'POST', body: '{}' })).status).toBe(204);
      await expect(client.fetch(`${receiver.url}/to-metadata`)).rejects.toThrow(/169\.254\.169\.254/);
    } finally {
      await client.close();
    }
  });

  it('hands credentials only to the origin they were given for: a redirect elsewhere loses them', async () => {
    // other.test resolves to the allow-listed loopback address, so the redirect is followed, without the secrets.
    const client = new OutboundClient({ allow: ['127.0.0.1'], resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    try {
      const headers = { authorization: 'Bearer secret', 'x-api-key': 'secret-key', accept: 'application/json' };
      expect((await client.fetch(`${receiver.url}/to-other-origin`, { headers, credentialHeaders: ['X-Api-Key'] })).status).toBe(204);
      const landed = receiver.calls.at(-1)?.headers;
      expect(landed?.host).toBe(`other.test:${receiver.port}`);
      expect([landed?.authorization, landed?.['x-api-key'], landed?.accept]).toEqual([undefined, undefined, 'application/json']);
    } finally {
      await client.close();
    }
  });

  it('checks every address a custom resolver answers, up front with check() and again on connecting', async () => {
    let calls = 0;
    const client = new OutboundClient({ resolve: async () => [{ address: ++calls === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }] });
    try {
      await expect(client.check(`http://rebind.test:${receiver.port}/x`)).resolves.toBeUndefined();
      await expect(client.fetch(`http://rebind.test:${receiver.port}/x`)).rejects.toThrow(/rebind\.test resolves to 127\.0\.0\.1/);
      await expect(client.check('gopher://rebind.test/')).rejects.toThrow(/gopher: URLs are not fetched/);
    } finally {
      await client.close();
    }
  });

  it('limits the response size and the time a response may take', async () => {
    const client = new OutboundClient({ allow: ['127.0.0.1'], maxBytes: 64 * 1024, timeoutMs: 500 });
    try {
      await expect(client.fetch(`${receiver.url}/huge`)).rejects.toThrow(/larger than 65536 bytes/);
      await expect(client.fetch(`${receiver.url}/drip`)).rejects.toThrow(/did not answer within 500 ms/);
    } finally {
      await client.close();
    }
  });
});
