import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type * as Undici from 'undici';
import type { Agent } from 'undici';
import { AiStackError } from '../shared/errors.ts';

/** A request to a place outbound calls may not go (loopback, private, link-local, metadata), or that broke a limit. */
export class OutboundRefusedError extends AiStackError {
  constructor(message: string) {
    super(message, { code: 'outbound_refused', status: 400 });
  }
}

export interface OutboundOptions {
  /** Host names, IP addresses or CIDR ranges that may be reached even though they are private (e.g. `127.0.0.1`, `10.0.0.0/8`, `erp.internal`). */
  allow?: readonly string[];
  /** Whole request, body included. Default 10 s. */
  timeoutMs?: number;
  /** Larger response bodies are refused while they stream in. Default 10 MiB. */
  maxBytes?: number;
  maxRedirects?: number;
  /** Name resolution, all addresses of a host; default the system resolver (dns.lookup). Tests pass one that rebinds. */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Headers that carry credentials: dropped when a redirect leaves the origin they were meant for. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

export interface OutboundResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
}

const BLOCKED = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const)
  BLOCKED.addSubnet(net, bits, 'ipv6');

/** True when an address is loopback, private, link-local (incl. 169.254.169.254 metadata), multicast or reserved. */
export function isBlockedAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? hexMappedIpv4(address);
  if (mapped) return BLOCKED.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** `::ffff:a9fe:a9fe` (how URL parsing writes `[::ffff:169.254.169.254]`) as `169.254.169.254`. */
function hexMappedIpv4(address: string): string | undefined {
  const match = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!match || isIP(address) !== 6) return undefined;
  const high = parseInt(match[1] as string, 16);
  const low = parseInt(match[2] as string, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/**
 * fetch for URLs that come from users (webhooks, sync sources). The host is resolved and every address
 * checked at connection time — the connection goes to the checked address, so DNS rebinding between check
 * and connect cannot redirect it — and again for each redirect. Bodies and time are limited.
 */
export class OutboundClient {
  readonly #allowHosts = new Set<string>();
  readonly #allowRanges = new BlockList();
  /** undici (6 MB of heap) is loaded, and its agent made, by the first request, not by every process that could send one. */
  #undici: Promise<{ agent: Agent; fetch: typeof Undici.fetch }> | undefined;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxRedirects: number;
  readonly #resolve: (hostname: string) => Promise<ResolvedAddress[]>;

  constructor(opts: OutboundOptions = {}) {
    for (const entry of opts.allow ?? []) this.#allow(entry.trim().toLowerCase());
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
    this.#maxRedirects = opts.maxRedirects ?? 5;
    this.#resolve = opts.resolve ?? ((hostname) => dnsLookup(hostname, { all: true }));
  }

  #client(): Promise<{ agent: Agent; fetch: typeof Undici.fetch }> {
    this.#undici ??= import('undici').then(({ Agent, fetch }) => ({
      agent: new Agent({ connect: { lookup: (hostname, options, callback) => this.#lookup(hostname, options, callback) } }),
      fetch,
    }));
    return this.#undici;
  }

  async fetch(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string | Buffer; credentialHeaders?: readonly string[] } = {},
  ): Promise<OutboundResponse> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    const { credentialHeaders = [], ...request } = init;
    let current = this.#checkUrl(url);
    const { agent, fetch: undiciFetch } = await this.#client();
    try {
      for (let redirects = 0; ; redirects++) {
        const response = await undiciFetch(current, { ...request, redirect: 'manual', dispatcher: agent, signal });
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location) {
          await response.body?.cancel();
          if (redirects >= this.#maxRedirects) throw new OutboundRefusedError(`${url} redirects more than ${this.#maxRedirects} times`);
          const next = this.#checkUrl(new URL(location, current).toString());
          // Like browsers: a credential meant for one origin is not handed to the origin a redirect points at.
          if (new URL(next).origin !== new URL(current).origin && request.headers) {
            const drop = new Set([...CREDENTIAL_HEADERS, ...credentialHeaders.map((h) => h.toLowerCase())]);
            request.headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !drop.has(name.toLowerCase())));
          }
          current = next;
          continue;
        }
        return { status: response.status, headers: response.headers as unknown as Headers, body: await this.#readBody(response.body, current), url: current };
      }
    } catch (error) {
      throw unwrap(error, current, this.#timeoutMs);
    }
  }

  /**
   * Refuses a URL up front (scheme, credentials, a literal or resolved internal address) with the same
   * reasons `fetch` gives. Only for a clear early answer: `fetch` checks again on every connection, and
   * that check is the one that counts (a host may resolve differently by then).
   */
  async check(url: string): Promise<void> {
    const checked = new URL(this.#checkUrl(url));
    const host = checked.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) === 0) this.#refuseBlocked(host, await this.#resolve(host));
  }

  async close(): Promise<void> {
    if (this.#undici) await (await this.#undici).agent.close();
  }

  #allow(entry: string): void {
    const [address, bits] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0) this.#allowHosts.add(entry);
    else this.#allowRanges.addSubnet(address as string, Number(bits ?? (family === 4 ? 32 : 128)), family === 4 ? 'ipv4' : 'ipv6');
  }

  #allowedAddress(address: string): boolean {
    const family = isIP(address);
    return this.#allowHosts.has(address) || (family !== 0 && this.#allowRanges.check(address, family === 4 ? 'ipv4' : 'ipv6'));
  }

  #checkUrl(raw: string): string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundRefusedError(`"${raw.slice(0, 200)}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRefusedError(`${url.protocol} URLs are not fetched; use http(s)`);
    if (url.username || url.password) throw new OutboundRefusedError('credentials in the URL are refused; configure them as a header');
    // An IP literal never reaches the lookup below, so it is checked here.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && isBlockedAddress(host) && !this.#allowedAddress(host)) throw refused(url.hostname, host);
    return url.toString();
  }

  #lookup(
    hostname: string,
    options: { all?: boolean },
    callback: (error: Error | null, address: string | Array<{ address: string; family: number }>, family?: number) => void,
  ): void {
    // The addresses checked here are the ones the connection uses: nothing resolves the name again in between.
    this.#resolve(hostname).then(
      (addresses) => {
        try {
          this.#refuseBlocked(hostname, addresses);
        } catch (error) {
          return callback(error as Error, []);
        }
        if (options.all) return callback(null, addresses);
        const first = addresses[0] as ResolvedAddress;
        return callback(null, first.address, first.family);
      },
      (error: Error) => callback(error, []),
    );
  }

  #refuseBlocked(hostname: string, addresses: readonly ResolvedAddress[]): void {
    if (addresses.length === 0) throw new OutboundRefusedError(`${hostname} has no address`);
    if (this.#allowHosts.has(hostname.toLowerCase())) return;
    const bad = addresses.find((a) => isBlockedAddress(a.address) && !this.#allowedAddress(a.address));
    if (bad) throw refused(hostname, bad.address);
  }

  async #readBody(body: ReadableStream<Uint8Array> | null, url: string): Promise<Buffer> {
    if (!body) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > this.#maxBytes) {
        await body.cancel().catch(() => {});
        throw new OutboundRefusedError(`the response of ${url} is larger than ${this.#maxBytes} bytes`);
      }
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  }
}

function refused(host: string, address: string): OutboundRefusedError {
  return new OutboundRefusedError(
    `${host} resolves to ${address}, a loopback, private, link-local or metadata address; allow-list it (AI_STACK_OUTBOUND_ALLOW) if it is meant`,
  );
}

/** undici wraps connect errors in "fetch failed"; the reason a person needs is the cause. */
function unwrap(error: unknown, url: string, timeoutMs: number): Error {
  if (error instanceof OutboundRefusedError) return error;
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof OutboundRefusedError) return cause;
  if ((error as Error).name === 'TimeoutError' || (cause as Error | undefined)?.name === 'TimeoutError')
    return new OutboundRefusedError(`${url} did not answer within ${timeoutMs} ms`);
  const reason = cause instanceof Error ? cause.message : (error as Error).message;
  return new AiStackError(`request to ${url} failed: ${reason}`, { code: 'outbound_failed', status: 502, cause: error });
}
