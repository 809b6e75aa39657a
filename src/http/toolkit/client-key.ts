import { isIPv4, isIPv6 } from 'node:net';
import type { FastifyRequest } from 'fastify';

/** The API key id the auth hook put on the request, if any (read structurally so the toolkit does not depend on auth). */
export function apiKeyId(request: FastifyRequest): number | null {
  const auth = (request as unknown as { auth?: unknown }).auth;
  if (typeof auth !== 'object' || auth === null) return null;
  const keyId = (auth as { keyId?: unknown }).keyId;
  return typeof keyId === 'number' ? keyId : null;
}

/**
 * Who is calling: `key:<id>` for authenticated requests, else the client address. IPv6 clients are
 * grouped by /56 because one subscriber usually gets a whole /56 (or /64) and could rotate through it.
 */
export function clientKey(request: FastifyRequest): string {
  const keyId = apiKeyId(request);
  if (keyId !== null) return `key:${keyId}`;
  return `ip:${groupAddress(request.ip)}`;
}

export function groupAddress(address: string, ipv6PrefixBits = 56): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address;
  const groups = expandIPv6(address);
  const bits = groups
    .map((group) => group.toString(2).padStart(16, '0'))
    .join('')
    .slice(0, ipv6PrefixBits)
    .padEnd(128, '0');
  const masked: string[] = [];
  for (let i = 0; i < 8; i++) masked.push(parseInt(bits.slice(i * 16, i * 16 + 16), 2).toString(16));
  return `${masked.join(':')}/${ipv6PrefixBits}`;
}

function expandIPv6(address: string): number[] {
  const withoutZone = address.split('%')[0] ?? address;
  let text = withoutZone;
  // An embedded IPv4 tail (e.g. 64:ff9b::1.2.3.4) becomes two hextets.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16));
}
